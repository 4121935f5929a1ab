// The Bison client against the local simulator: pagination, meta.total, retries and credentials.
import assert from "node:assert/strict";
import {
  BisonAddressError,
  BisonCredentialError,
  BisonDeadlineError,
  BisonError,
  BisonIncompleteError,
  createBisonClient,
  createRequestBudget,
  withWorkspaceSwitched,
} from "./bison-client.ts";
import {
  generateMailboxes,
  startBisonSimulator,
} from "../../../scripts/simulator/bison-simulator.ts";

async function withSimulator(
  mailboxes: number,
  body: (context: {
    simulator: ReturnType<typeof startBisonSimulator>;
    sleeps: number[];
    client: ReturnType<typeof createBisonClient>;
  }) => Promise<void>,
) {
  const simulator = startBisonSimulator({
    workspaces: [{
      id: 7,
      name: "W7",
      apiKey: "key-7-abcdefgh",
      mailboxes: generateMailboxes(mailboxes),
    }],
  });
  const sleeps: number[] = [];
  const client = createBisonClient({
    baseUrl: simulator.url,
    apiKey: "key-7-abcdefgh",
    allowPrivateAddress: true,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  try {
    await body({ simulator, sleeps, client });
  } finally {
    await simulator.close();
  }
}

Deno.test("follows links.next over many pages (15 a page) and checks meta.total", async () => {
  await withSimulator(290, async ({ client, simulator }) => {
    const progress: number[] = [];
    const result = await client.listSenderEmails(({ fetched }) => {
      progress.push(fetched);
    });
    assert.equal(result.items.length, 290);
    assert.equal(result.pages, 20);
    assert.equal(result.total, 290);
    assert.equal(new Set(result.items.map((mailbox) => mailbox.id)).size, 290);
    assert.deepEqual(progress.slice(0, 2), [15, 30]);
    assert.equal(simulator.requests.filter((r) => r.path === "/api/sender-emails").length, 20);
    const stringCounter = result.items.find((mailbox) => mailbox.id === 5)!;
    assert.equal(typeof stringCounter.emails_sent_count, "number", "counters sent as strings");
  });
});

Deno.test("a count that disagrees with meta.total is reported as incomplete", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () =>
      Response.json({
        data: [{ id: 1 }],
        links: { next: null },
        meta: { current_page: 1, last_page: 1, total: 2 },
      }),
  );
  try {
    const client = createBisonClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      apiKey: "k",
      allowPrivateAddress: true,
    });
    await assert.rejects(client.listSenderEmails(), BisonIncompleteError);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a bare {data: []} is a complete list", async () => {
  await withSimulator(0, async ({ client }) => {
    const workspaces = await client.listWorkspaces();
    assert.deepEqual(workspaces.items.map((w) => w.id), [7]);
    assert.equal(workspaces.total, null);
  });
});

Deno.test("429 is retried after its Retry-After, then succeeds", async () => {
  await withSimulator(20, async ({ client, simulator, sleeps }) => {
    simulator.injectFault({
      path: "/api/sender-emails",
      page: 2,
      status: 429,
      retryAfterSeconds: 3,
      times: 1,
    });
    const result = await client.listSenderEmails();
    assert.equal(result.items.length, 20);
    assert.deepEqual(sleeps, [3000]);
  });
});

Deno.test("5xx is retried with backoff and gives up after the last attempt", async () => {
  await withSimulator(20, async ({ client, simulator, sleeps }) => {
    simulator.injectFault({ path: "/api/sender-emails", status: 500 });
    await assert.rejects(client.listSenderEmails(), (error: BisonError) => {
      assert.match(error.message, /500 after 4 attempts/);
      return true;
    });
    assert.equal(sleeps.length, 3);
    assert.ok(sleeps[1] > sleeps[0] * 1.2, "backoff grows");
  });
});

Deno.test("401 is a credential problem, never retried, and never shows the key", async () => {
  await withSimulator(20, async ({ simulator, sleeps }) => {
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "wrong-key-secret",
      allowPrivateAddress: true,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
    await assert.rejects(client.listSenderEmails(), (error: Error) => {
      assert.ok(error instanceof BisonCredentialError);
      assert.ok(!error.message.includes("wrong-key-secret"));
      return true;
    });
    assert.equal(sleeps.length, 0);
    assert.equal(simulator.requests.length, 1);
  });
});

Deno.test("a slow answer times out and is retried", async () => {
  await withSimulator(5, async ({ simulator }) => {
    simulator.injectFault({ path: "/api/sender-emails", delayMs: 400, times: 1 });
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "key-7-abcdefgh",
      allowPrivateAddress: true,
      timeoutMs: 150,
      sleep: () => Promise.resolve(),
    });
    const result = await client.listSenderEmails();
    assert.equal(result.items.length, 5);
  });
});

Deno.test("the run's deadline ends a request Bison never answers, without retrying it", async () => {
  await withSimulator(5, async ({ simulator }) => {
    // Slower than the run has left, far quicker than the client's own timeout.
    simulator.injectFault({ path: "/api/sender-emails", delayMs: 1_000 });
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "key-7-abcdefgh",
      allowPrivateAddress: true,
      timeoutMs: 30_000,
      maxAttempts: 4,
      signal: AbortSignal.timeout(300),
    });
    await assert.rejects(client.listSenderEmails(), BisonDeadlineError);
    assert.ok(simulator.requests.length <= 1, "no retry once the deadline came");
    simulator.clearFaults();
  });
});

Deno.test("the run's deadline cuts a retry's backoff short, and nothing starts after it", async () => {
  await withSimulator(5, async ({ simulator }) => {
    simulator.injectFault({ path: "/api/sender-emails", status: 503 });
    const deadline = new AbortController();
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "key-7-abcdefgh",
      allowPrivateAddress: true,
      maxAttempts: 4,
      // A backoff that would outlast the run; the deadline comes during it.
      sleep: () => {
        setTimeout(() => deadline.abort(), 50);
        return new Promise((resolve) => setTimeout(resolve, 10_000));
      },
      signal: deadline.signal,
    });
    await assert.rejects(client.listSenderEmails(), BisonDeadlineError);
    assert.equal(simulator.requests.length, 1);
    await assert.rejects(client.currentUser(), BisonDeadlineError);
    assert.equal(simulator.requests.length, 1, "a request after the deadline is never sent");
  });
});

Deno.test("a next link to another host is refused rather than sent the key", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () =>
      Response.json({
        data: [],
        links: { next: "https://elsewhere.example.test/api/sender-emails?page=2" },
        meta: { total: 0 },
      }),
  );
  try {
    const client = createBisonClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      apiKey: "k",
      allowPrivateAddress: true,
    });
    await assert.rejects(client.listSenderEmails(), /another origin/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("calls sharing a super-admin key take turns switching and fetching", async () => {
  const simulator = startBisonSimulator({
    superAdminKey: "super-admin-key-123",
    latencyMs: 20,
    workspaces: [1, 2, 3].map((id) => ({
      id,
      name: `W${id}`,
      apiKey: `key-${id}-abcdefgh`,
      mailboxes: generateMailboxes(20 + id, id * 1000),
    })),
  });
  try {
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "super-admin-key-123",
      allowPrivateAddress: true,
    });
    const results = await Promise.all(
      [1, 2, 3].map((teamId) =>
        withWorkspaceSwitched(
          client,
          "super-admin-key-123",
          teamId,
          () => client.listSenderEmails(),
        )
      ),
    );
    assert.deepEqual(results.map((result) => result.items.length), [21, 22, 23]);
    assert.deepEqual(results.map((result) => Math.floor(result.items[0].id / 1000)), [1, 2, 3]);
  } finally {
    await simulator.close();
  }
});

/** A local server answering every request with answer(), recording what it was asked. */
function serve(answer: (request: Request) => Response) {
  const seen: { path: string; authorization: string | null }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    seen.push({
      path: new URL(request.url).pathname,
      authorization: request.headers.get("authorization"),
    });
    return answer(request);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

const emptyInventory = () =>
  Response.json({ data: [], links: { next: null }, meta: { current_page: 1, total: 0 } });

Deno.test("a redirect to another origin is refused, never followed with the key", async () => {
  // Reproduction: a 302 to a metadata-style address used to be followed, and its empty answer
  // accepted as a complete (empty) inventory.
  const elsewhere = serve(emptyInventory);
  const instance = serve(() =>
    new Response(null, {
      status: 302,
      headers: { location: `${elsewhere.url}/latest/meta-data/iam` },
    })
  );
  try {
    const client = createBisonClient({
      baseUrl: instance.url,
      apiKey: "key-not-for-elsewhere",
      allowPrivateAddress: true,
    });
    await assert.rejects(client.listSenderEmails(), (error: Error) => {
      assert.ok(error instanceof BisonError);
      assert.match(error.message, /refusing to follow a redirect to another origin/);
      return true;
    });
    assert.deepEqual(elsewhere.seen, [], "nothing, and so no key, reached the other origin");
  } finally {
    await instance.close();
    await elsewhere.close();
  }
});

Deno.test("a redirect within the instance is followed", async () => {
  const instance = serve((request) =>
    new URL(request.url).pathname === "/api/sender-emails"
      ? new Response(null, { status: 301, headers: { location: "/api/v2/sender-emails" } })
      : Response.json({ data: [{ id: 1 }], links: { next: null }, meta: { total: 1 } })
  );
  try {
    const client = createBisonClient({
      baseUrl: instance.url,
      apiKey: "key-123456",
      allowPrivateAddress: true,
    });
    const result = await client.listSenderEmails();
    assert.deepEqual(result.items.map((item) => item.id), [1]);
    assert.deepEqual(instance.seen.map((request) => request.path), [
      "/api/sender-emails",
      "/api/v2/sender-emails",
    ]);
    assert.ok(instance.seen.every((request) => request.authorization === "Bearer key-123456"));
  } finally {
    await instance.close();
  }
});

Deno.test("an inventory without meta.total is not complete", async () => {
  const instance = serve(() => Response.json({ data: [], links: { next: null } }));
  try {
    const client = createBisonClient({
      baseUrl: instance.url,
      apiKey: "key-123456",
      allowPrivateAddress: true,
    });
    await assert.rejects(client.listSenderEmails(), (error: Error) => {
      assert.ok(error instanceof BisonIncompleteError);
      assert.match(error.message, /no meta\.total/);
      return true;
    });
  } finally {
    await instance.close();
  }
});

Deno.test("the request budget spaces requests to stay within the rate a minute", async () => {
  let now = 0;
  const waits: number[] = [];
  const budget = createRequestBudget(600, {
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  // 600 a minute is one every 100 ms, with a burst of a second's worth (10).
  for (let i = 0; i < 12; i++) await budget.take();
  assert.deepEqual(waits, [100, 200], "the 11th and 12th wait for their slots");
  // Time passes: the burst is available again.
  now = 10_000;
  waits.length = 0;
  for (let i = 0; i < 10; i++) await budget.take();
  assert.deepEqual(waits, []);
  assert.throws(() => createRequestBudget(0), RangeError);
});

Deno.test("a list stopped early says where to resume, and the rest completes it", async () => {
  await withSimulator(50, async ({ client }) => {
    let pagesAsked = 0;
    const first = await client.listSenderEmails(undefined, {
      shouldStop: () => ++pagesAsked > 1,
    });
    assert.equal(first.items.length, 30, "two pages, then asked to stop");
    assert.ok(first.next?.includes("page=3"), first.next ?? "no next");
    const rest = await client.listSenderEmails(undefined, {
      resume: { from: first.next!, fetchedBefore: 30, pagesBefore: 2 },
    });
    assert.equal(rest.next, null, "complete");
    assert.equal(rest.pages, 4);
    assert.equal(first.items.length + rest.items.length, 50, "counted against meta.total");
  });
});

Deno.test("every request of a client, retries included, takes a turn in its budget", async () => {
  await withSimulator(40, async ({ simulator }) => {
    simulator.injectFault({ path: "/api/sender-emails", page: 2, status: 503, times: 1 });
    let taken = 0;
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "key-7-abcdefgh",
      allowPrivateAddress: true,
      sleep: () => Promise.resolve(),
      budget: {
        take: () => {
          taken++;
          return Promise.resolve();
        },
      },
    });
    await client.listSenderEmails();
    assert.equal(taken, simulator.requests.length);
    assert.equal(taken, 4, "three pages and one retry");
  });
});

Deno.test("an instance resolving to a private address is refused unless the connection opted in", async () => {
  await withSimulator(1, async ({ simulator }) => {
    const refused = createBisonClient({ baseUrl: simulator.url, apiKey: "key-7-abcdefgh" });
    await assert.rejects(
      refused.listWorkspaces(),
      (error: Error) =>
        error instanceof BisonAddressError &&
        /127\.0\.0\.1.*--allow-private-address/.test(error.message),
    );
    const rebinding = createBisonClient({
      baseUrl: "https://send.example.test",
      apiKey: "key-7-abcdefgh",
      resolveAddresses: () => Promise.resolve(["203.0.113.10", "169.254.169.254"]),
    });
    await assert.rejects(rebinding.currentUser(), /169\.254\.169\.254/);
    assert.equal(simulator.requests.length, 0, "nothing was sent");
    let asked = 0;
    const optedIn = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "key-7-abcdefgh",
      allowPrivateAddress: () => Promise.resolve(++asked > 0),
    });
    await optedIn.listWorkspaces();
    await optedIn.currentUser();
    assert.equal(asked, 1, "the opt-in is looked up once per client");
  });
});

Deno.test("a key's user and workspace; a super-admin key mints workspace keys", async () => {
  const simulator = startBisonSimulator({
    superAdminKey: "super-admin-key-123",
    workspaces: [1, 2].map((id) => ({
      id,
      name: `W${id}`,
      apiKey: `key-${id}-abcdefgh`,
      mailboxes: [],
    })),
  });
  const client = (apiKey: string) =>
    createBisonClient({ baseUrl: simulator.url, apiKey, allowPrivateAddress: true });
  try {
    assert.deepEqual(await client("key-2-abcdefgh").currentUser(), {
      id: 1002,
      name: "API user of W2",
      email: "api-2@agency.example.test",
      team_id: 2,
      team_name: "W2",
    });
    const minted = await client("super-admin-key-123").createWorkspaceApiToken(2, "mirror");
    assert.match(minted, /^\d+\|\S+$/);
    assert.equal((await client(minted).currentUser()).team_id, 2);
    await assert.rejects(
      client("key-1-abcdefgh").createWorkspaceApiToken(2, "mirror"),
      BisonCredentialError,
      "an api-user key cannot mint",
    );
    await assert.rejects(
      client("super-admin-key-123").createWorkspaceApiToken(99, "mirror"),
      (error: BisonError) => error.status === 404,
    );
  } finally {
    await simulator.close();
  }
});

Deno.test("webhook subscriptions belong to the key's workspace; PUT replaces the events", async () => {
  await withSimulator(0, async ({ client, simulator }) => {
    const types = await client.webhookEventTypes();
    assert.equal(types.length, 17);
    assert.ok(types.includes("email_sent") && types.includes("tag_removed"));
    const created = await client.createWebhookSubscription({
      name: "mirror",
      url: "https://mirror.example.test/hook/abc",
      events: types,
    });
    assert.equal(created.events?.length, 17);
    const updated = await client.updateWebhookSubscription(created.id, {
      name: "mirror",
      url: "https://mirror.example.test/hook/def",
      events: ["email_sent"],
    });
    assert.deepEqual(updated.events, ["email_sent"]);
    assert.deepEqual(
      (await client.listWebhookSubscriptions()).map((w) => [w.id, w.url]),
      [[created.id, "https://mirror.example.test/hook/def"]],
    );
    assert.equal(simulator.workspaces[0].webhooks?.length, 1);
    await assert.rejects(
      client.createWebhookSubscription({ name: "x", url: "not a url", events: types }),
      (error: BisonError) => error.status === 422 && /valid URL/.test(error.message),
    );
    await client.deleteWebhookSubscription(created.id);
    assert.deepEqual(await client.listWebhookSubscriptions(), []);
    await assert.rejects(
      client.deleteWebhookSubscription(created.id),
      (error: BisonError) => error.status === 404,
    );
  });
});

Deno.test("a test event really reaches the URL given", async () => {
  const received: unknown[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    received.push(await r.json());
    return Response.json({ ok: true });
  });
  try {
    await withSimulator(0, async ({ client, simulator }) => {
      await client.sendTestEvent("lead_replied", `http://127.0.0.1:${receiver.addr.port}/t/1`);
      await simulator.close(); // waits for deliveries in flight
      assert.equal(simulator.testDeliveries[0].status, 200);
    });
    assert.equal(received.length, 1);
    const sample = received[0] as { event: { type: string; workspace_id: number } };
    assert.equal(sample.event.type, "LEAD_REPLIED");
    assert.equal(sample.event.workspace_id, 1, "samples reuse fixture ids");
  } finally {
    await receiver.shutdown();
  }
});

Deno.test("daily counts come from the labelled series, only for the days asked", async () => {
  const simulator = startBisonSimulator({
    workspaces: [{
      id: 7,
      name: "W7",
      apiKey: "key-7-abcdefgh",
      mailboxes: [],
      daily: {
        "2026-11-02": { sent: 120, replied: 4, interested: 1, bounced: 2, unsubscribed: 1 },
        "2026-11-03": { sent: 80, total_opens: 9 },
      },
    }],
  });
  try {
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "key-7-abcdefgh",
      allowPrivateAddress: true,
    });
    const days = await client.dailyCounts("2026-11-02", "2026-11-04");
    assert.deepEqual(days, [
      {
        day: "2026-11-02",
        emails_sent: 120,
        replies: 4,
        interested: 1,
        bounces: 2,
        unsubscribes: 1,
        opens: 0,
      },
      {
        day: "2026-11-03",
        emails_sent: 80,
        replies: 0,
        interested: 0,
        bounces: 0,
        unsubscribes: 0,
        opens: 9,
      },
      {
        day: "2026-11-04",
        emails_sent: 0,
        replies: 0,
        interested: 0,
        bounces: 0,
        unsubscribes: 0,
        opens: 0,
      },
    ]);
    await assert.rejects(client.dailyCounts("2026-11-05", "2026-11-01"), /422/);
  } finally {
    await simulator.close();
  }
});
