// The Bison client against the local simulator: pagination, meta.total, retries and credentials.
import assert from "node:assert/strict";
import {
  BisonCredentialError,
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
      timeoutMs: 150,
      sleep: () => Promise.resolve(),
    });
    const result = await client.listSenderEmails();
    assert.equal(result.items.length, 5);
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
    });
    await assert.rejects(client.listSenderEmails(), /another origin/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("calls sharing a super-admin key take turns switching and fetching", async () => {
  const simulator = startBisonSimulator({
    superAdminKey: "super-admin-key-123",
    pageLatencyMs: 20,
    workspaces: [1, 2, 3].map((id) => ({
      id,
      name: `W${id}`,
      apiKey: `key-${id}-abcdefgh`,
      mailboxes: generateMailboxes(20 + id, id * 1000),
    })),
  });
  try {
    const client = createBisonClient({ baseUrl: simulator.url, apiKey: "super-admin-key-123" });
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
    const client = createBisonClient({ baseUrl: instance.url, apiKey: "key-not-for-elsewhere" });
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
    const client = createBisonClient({ baseUrl: instance.url, apiKey: "key-123456" });
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
    const client = createBisonClient({ baseUrl: instance.url, apiKey: "key-123456" });
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

Deno.test("every request of a client, retries included, takes a turn in its budget", async () => {
  await withSimulator(40, async ({ simulator }) => {
    simulator.injectFault({ path: "/api/sender-emails", page: 2, status: 503, times: 1 });
    let taken = 0;
    const client = createBisonClient({
      baseUrl: simulator.url,
      apiKey: "key-7-abcdefgh",
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
