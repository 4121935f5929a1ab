// poll-sender-emails end to end: the function on a test gateway, the database, and the local
// Bison simulator with injected faults.
import assert from "node:assert/strict";
import {
  connect,
  connectInstanceWorkspaces,
  eventually,
  runBisonCli,
  runCronJob,
  startTestDispatcher,
  startTestGateway,
  testStack,
  withProjectUrl,
} from "../_support/stack.ts";
import {
  type BisonSimulator,
  generateMailboxes,
  startBisonSimulator,
} from "../../../../scripts/simulator/bison-simulator.ts";

const stack = testStack();
const sql = connect(stack);

interface Setup {
  simulator: BisonSimulator;
  gatewayUrl: string;
  connectionId: string;
  /** Our workspace ids by Bison workspace id. */
  workspaceIds: Map<number, number>;
  poll: (body?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  mailboxes: (bisonWorkspaceId: number) => Promise<Record<string, unknown>[]>;
}

/** A connection to a fresh simulator, its workspaces registered with keys; removed afterwards. */
async function withPolling(
  workspaces: { id: number; mailboxes: number; apiKey?: string }[],
  body: (setup: Setup) => Promise<void>,
  simulatorOptions: { latencyMs?: number } = {},
) {
  const simulator = startBisonSimulator({
    ...simulatorOptions,
    workspaces: workspaces.map((workspace) => ({
      id: workspace.id,
      name: `Client ${workspace.id}`,
      apiKey: `sim-key-${workspace.id}-abcdef`,
      mailboxes: generateMailboxes(workspace.mailboxes, workspace.id * 10_000),
    })),
  });
  const gateway = await startTestGateway();
  const name = `poll-${crypto.randomUUID()}`;
  const functionsUrl = `${gateway.url}/functions/v1`;
  try {
    const connection = await connectInstanceWorkspaces(name, simulator.url, workspaces, {
      functionsUrl,
    });
    const connectionId = connection.connectionId;
    const workspaceIds = new Map(
      workspaces.map((workspace, index) => [workspace.id, connection.workspaceIds[index]]),
    );
    const poll = async (requestBody: Record<string, unknown> = {}) => {
      const response = await fetch(`${functionsUrl}/poll-sender-emails`, {
        method: "POST",
        headers: { "x-cron-secret": stack.cronSecret, "content-type": "application/json" },
        body: JSON.stringify(requestBody),
      });
      assert.equal(response.status, 200);
      return await response.json();
    };
    const mailboxes = (bisonWorkspaceId: number) =>
      sql`select bison_sender_email_id::int as id, status, emails_sent::int, removed_at
          from public.sender_emails where workspace_id = ${workspaceIds.get(bisonWorkspaceId)!}
          order by bison_sender_email_id`;
    await body({ simulator, gatewayUrl: gateway.url, connectionId, workspaceIds, poll, mailboxes });
  } finally {
    await sql`delete from public.bison_connections where name = ${name}`;
    await gateway.close();
    await simulator.close();
  }
}

/** How many sync runs each of our workspaces has had (other suites' workspaces may be due too). */
async function syncRuns(workspaceIds: Map<number, number>): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const [bisonId, id] of workspaceIds) {
    const [{ runs }] = await sql`
      select count(*)::int as runs from public.sender_email_sync_runs where workspace_id = ${id}`;
    counts[bisonId] = runs;
  }
  return counts;
}

const makeDue = (workspaceIds: Iterable<number>) =>
  sql`update private.workspace_poll_state set next_poll_at = now() - interval '1 second'
      where workspace_id = any(${[...workspaceIds]})`;

Deno.test("a poll stores every page of every workspace and records each sync", async () => {
  await withPolling([{ id: 1, mailboxes: 290 }, { id: 2, mailboxes: 31 }], async (setup) => {
    const summary = await setup.poll();
    assert.ok((summary.mailboxes as number) >= 321);
    assert.deepEqual(await syncRuns(setup.workspaceIds), { 1: 1, 2: 1 });
    assert.equal((await setup.mailboxes(1)).length, 290);
    const runs = await sql`
      select pages, mailboxes_seen, upserted, removed, complete, error
      from public.sender_email_sync_runs where workspace_id = ${setup.workspaceIds.get(1)!}`;
    assert.deepEqual(runs.map((run) => ({ ...run })), [
      { pages: 20, mailboxes_seen: 290, upserted: 290, removed: 0, complete: true, error: null },
    ]);
    const progress = await sql`
      select event, payload->>'done' as done from realtime.messages
      where topic = ${`workspace:${setup.workspaceIds.get(2)}:sync`} order by inserted_at, id`;
    // Progress is coalesced to one message a second: the first page at once, the last before
    // the end.
    const events = progress.map((row) => row.event);
    assert.equal(events[0], "sync_started");
    assert.equal(events[events.length - 1], "sync_completed");
    const updates = progress.filter((row) => row.event === "sync_progress");
    assert.ok(updates.length >= 1 && updates.length <= 3, events.join(", "));
    assert.equal(updates.map((row) => Number(row.done)).sort((a, b) => b - a)[0], 31);
  });
});

Deno.test("a 500 on page 7 of 20 leaves that workspace's stored mailboxes untouched", async () => {
  await withPolling([{ id: 3, mailboxes: 295 }], async (setup) => {
    await setup.poll();
    const before = await setup.mailboxes(3);
    // Bison's side changes: counters move and a mailbox disappears...
    for (const mailbox of setup.simulator.workspaces[0].mailboxes) {
      mailbox.emails_sent_count = 99_999;
      mailbox.updated_at = new Date().toISOString();
    }
    setup.simulator.workspaces[0].mailboxes.pop();
    // ...but the fetch fails half-way.
    setup.simulator.injectFault({ path: "/api/sender-emails", page: 7, status: 500 });
    await makeDue(setup.workspaceIds.values());
    const summary = await setup.poll();
    assert.equal((summary.failed as unknown[]).length, 1);
    assert.deepEqual(await setup.mailboxes(3), before);
    const [run] = await sql`
      select complete, error from public.sender_email_sync_runs
      where workspace_id = ${setup.workspaceIds.get(3)!} order by id desc limit 1`;
    assert.equal(run.complete, false);
    assert.match(run.error, /500/);
  });
});

Deno.test("a mailbox deleted in Bison is removed once two complete runs lack it", async () => {
  await withPolling([{ id: 4, mailboxes: 20 }], async (setup) => {
    await setup.poll();
    const gone = setup.simulator.workspaces[0].mailboxes.splice(5, 1)[0];
    const removedAfter = async () => {
      await makeDue(setup.workspaceIds.values());
      const summary = await setup.poll();
      assert.deepEqual(summary.failed, []);
      return (await setup.mailboxes(4)).filter((mailbox) => mailbox.status === "removed");
    };
    assert.deepEqual(await removedAfter(), [], "one run lacking it removes nothing yet");
    const removed = await removedAfter();
    assert.deepEqual(removed.map((mailbox) => mailbox.id), [gone.id]);
    assert.ok(removed[0].removed_at);
  });
});

Deno.test("an empty answer is held and alerted, never turning live mailboxes into removed", async () => {
  // Reproduction: {"data":[],"links":{"next":null},"meta":{"total":0}} turned 40 live mailboxes
  // into 0 removed ones, and the provider history written then kept mailboxes_total = 0.
  await withPolling([{ id: 17, mailboxes: 40 }], async (setup) => {
    await setup.poll();
    const mailboxes = setup.simulator.workspaces[0].mailboxes.splice(0);
    await makeDue(setup.workspaceIds.values());
    const summary = await setup.poll();
    assert.deepEqual(summary.failed, []);
    assert.deepEqual(summary.held, [{
      workspace_id: setup.workspaceIds.get(17)!,
      bison_workspace_id: 17,
    }]);
    const stored = await setup.mailboxes(17);
    assert.equal(stored.filter((mailbox) => mailbox.status !== "removed").length, 40);
    const [run] = await sql`
      select complete, held, missing, removed from public.sender_email_sync_runs
      where workspace_id = ${setup.workspaceIds.get(17)!} order by id desc limit 1`;
    assert.deepEqual({ ...run }, { complete: true, held: true, missing: 40, removed: 0 });
    await sql`
      select private.calculate_provider_performance(${setup.connectionId}::uuid,
               (now() at time zone 'UTC')::date - 1)`;
    const [{ total }] = await sql`
      select sum(mailboxes_total)::int as total from public.provider_performance_history
      where connection_id = ${setup.connectionId}::uuid
        and day = (now() at time zone 'UTC')::date - 1`;
    assert.equal(total, 40, "provider history taken during the hold counts the 40");
    // Bison answers properly again: the hold is released and nothing was lost.
    setup.simulator.workspaces[0].mailboxes.push(...mailboxes);
    await makeDue(setup.workspaceIds.values());
    const next = await setup.poll();
    assert.deepEqual(next.held, []);
    assert.equal(
      (await setup.mailboxes(17)).filter((mailbox) => mailbox.status !== "removed").length,
      40,
    );
  });
});

Deno.test("two overlapping runs poll each workspace once", async () => {
  await withPolling(
    [{ id: 5, mailboxes: 40 }, { id: 6, mailboxes: 40 }, { id: 7, mailboxes: 40 }],
    async (setup) => {
      await Promise.all([setup.poll(), setup.poll()]);
      assert.deepEqual(await syncRuns(setup.workspaceIds), { 5: 1, 6: 1, 7: 1 });
      const firstPages = setup.simulator.requests.filter((request) =>
        request.path === "/api/sender-emails" && (request.page ?? 1) === 1
      );
      assert.deepEqual(firstPages.map((request) => request.workspaceId).sort(), [5, 6, 7]);
    },
    { latencyMs: 30 },
  );
});

Deno.test("an expired lease is picked up again; a live one is left alone", async () => {
  await withPolling([{ id: 8, mailboxes: 10 }, { id: 9, mailboxes: 10 }], async (setup) => {
    const [expired, live] = [setup.workspaceIds.get(8)!, setup.workspaceIds.get(9)!];
    // Both were left leased by a run that crashed; only one lease has run out.
    await sql`insert into private.workspace_poll_state (workspace_id, lease_owner, lease_expires_at)
              values (${expired}, gen_random_uuid(), now() - interval '1 minute'),
                     (${live}, gen_random_uuid(), now() + interval '10 minutes')
              on conflict (workspace_id) do update
                set lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at`;
    await setup.poll();
    assert.deepEqual(await syncRuns(setup.workspaceIds), { 8: 1, 9: 0 });
    assert.equal((await setup.mailboxes(8)).length, 10);
    assert.equal((await setup.mailboxes(9)).length, 0);
  });
});

Deno.test("one workspace with a bad key fails alone while the others sync", async () => {
  await withPolling(
    [{ id: 10, mailboxes: 16 }, { id: 11, mailboxes: 16, apiKey: "revoked-key-000" }, {
      id: 12,
      mailboxes: 16,
    }],
    async (setup) => {
      const summary = await setup.poll();
      const failed = summary.failed as { bison_workspace_id: number; error: string }[];
      assert.deepEqual(failed.map((failure) => failure.bison_workspace_id), [11]);
      assert.match(failed[0].error, /credential problem/);
      assert.ok(!failed[0].error.includes("revoked-key-000"), "the key is never echoed");
      assert.equal((await setup.mailboxes(10)).length, 16);
      assert.equal((await setup.mailboxes(12)).length, 16);
      const tries = setup.simulator.requests.filter((request) =>
        request.status === 401 && request.path === "/api/sender-emails"
      );
      assert.equal(tries.length, 1, "a refused key is not retried");
    },
  );
});

Deno.test("the wall-clock budget leaves the remaining workspaces for the next run", async () => {
  await withPolling(
    [{ id: 13, mailboxes: 15 }, { id: 14, mailboxes: 15 }, { id: 15, mailboxes: 15 }],
    async (setup) => {
      const summary = await setup.poll({ budget_ms: 1000, concurrency: 1 });
      assert.equal(summary.budget_exhausted, true);
      const afterFirst = Object.values(await syncRuns(setup.workspaceIds));
      assert.equal(afterFirst.reduce((sum, runs) => sum + runs, 0), 1);
      await setup.poll({ budget_ms: 5000, concurrency: 1 });
      assert.deepEqual(
        await syncRuns(setup.workspaceIds),
        { 13: 1, 14: 1, 15: 1 },
        "the rest next",
      );
    },
    { latencyMs: 1100 },
  );
});

Deno.test("only the cron secret may run a poll", async () => {
  const gateway = await startTestGateway();
  try {
    const url = `${gateway.url}/functions/v1/poll-sender-emails`;
    const refused: Record<string, string>[] = [
      {},
      { "x-cron-secret": "wrong-secret-wrong-secret" },
      { authorization: `Bearer ${stack.serviceRoleKey}` },
    ];
    for (const headers of refused) {
      const response = await fetch(url, { method: "POST", headers, body: "{}" });
      await response.body?.cancel();
      assert.equal(response.status, 401);
    }
    const bad = await fetch(url, {
      method: "POST",
      headers: { "x-cron-secret": stack.cronSecret },
      body: '{"budget_ms": 5}',
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /budget_ms/);
  } finally {
    await gateway.close();
  }
});

Deno.test("the pg_cron job polls through pg_net, the dispatcher and the gateway", async () => {
  await withPolling([{ id: 16, mailboxes: 12 }], async (setup) => {
    const dispatcher = startTestDispatcher();
    try {
      const [job] = await sql`select schedule from cron.job where jobname = 'poll-sender-emails'`;
      assert.equal(job.schedule, "* * * * *");
      const requestId = await withProjectUrl(sql, setup.gatewayUrl, async () => {
        const id = await runCronJob(sql, "poll-sender-emails");
        await eventually("the polled mailboxes", async () => {
          const rows = await setup.mailboxes(16);
          return rows.length === 12 ? rows : undefined;
        });
        return id;
      });
      // This job's own answer: the poll's summary, naming the workspace it polled.
      const response = await eventually("the job's recorded response", async () => {
        const [row] = await sql`
          select status_code, content from net._http_response where id = ${Number(requestId)}`;
        return row;
      });
      assert.equal(response.status_code, 200, response.content);
      assert.ok(JSON.parse(response.content).poll_run_id, response.content);
    } finally {
      await dispatcher.stop();
    }
  });
});

Deno.test("workspaces polled with one super-admin key each get their own mailboxes", async () => {
  const simulator = startBisonSimulator({
    superAdminKey: "super-admin-key-0001",
    latencyMs: 25,
    workspaces: [21, 22, 23].map((id) => ({
      id,
      name: `Client ${id}`,
      apiKey: `unused-${id}-abcdef`,
      mailboxes: generateMailboxes(20 + id, id * 10_000),
    })),
  });
  const gateway = await startTestGateway();
  const name = `super-${crypto.randomUUID()}`;
  try {
    const functionsUrl = `${gateway.url}/functions/v1`;
    const connected = await runBisonCli(
      ["connect", "--name", name, "--base-url", simulator.url, "--allow-private-address"],
      functionsUrl,
    );
    assert.equal(connected.code, 0, connected.stderr);
    // discover records every workspace the super-admin key can see.
    const discovered = await runBisonCli([
      "discover",
      "--connection",
      name,
      "--api-key",
      "super-admin-key-0001",
    ]);
    assert.equal(discovered.code, 0, discovered.stderr);
    const recorded = discovered.result as { id: number; bison_workspace_id: number }[];
    assert.deepEqual(recorded.map((w) => w.bison_workspace_id), [21, 22, 23]);
    for (const workspace of recorded) {
      const added = await runBisonCli([
        "add-workspace",
        "--no-check",
        "--connection",
        name,
        "--workspace-id",
        String(workspace.bison_workspace_id),
        "--api-key",
        "super-admin-key-0001",
        "--super-admin",
      ]);
      assert.equal(added.code, 0, added.stderr);
    }
    // `bison poll` runs it through the function and prints the summary.
    const polled = await runBisonCli(["poll"], functionsUrl);
    assert.equal(polled.code, 0, polled.stderr);
    assert.deepEqual((polled.result as { failed: unknown[] }).failed, []);
    for (const workspace of recorded) {
      const [row] = await sql`
        select count(*)::int as n, min(bison_sender_email_id)::int as first
        from public.sender_emails where workspace_id = ${workspace.id}`;
      assert.deepEqual(
        { ...row },
        { n: 20 + workspace.bison_workspace_id, first: workspace.bison_workspace_id * 10_000 },
        `workspace ${workspace.bison_workspace_id} got its own mailboxes`,
      );
    }
  } finally {
    await sql`delete from public.bison_connections where name = ${name}`;
    await gateway.close();
    await simulator.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});

Deno.test("sync broadcasts are the events and payloads the broadcast catalogue describes", async () => {
  await withPolling(
    [{ id: 21, mailboxes: 3 }, { id: 22, mailboxes: 2, apiKey: "sim-key-wrong-abcdef" }],
    async (setup) => {
      await setup.poll();
      const topics = [...setup.workspaceIds.values()].map((id) => `workspace:${id}:sync`);
      const differences = await sql`
        select m.event, m.private,
               array(select k from jsonb_object_keys(m.payload) k
                     union select 'id' order by 1) as fields,
               array(select f ->> 'name' from jsonb_array_elements(b.payload_fields) f
                     union select 'id' order by 1) as catalogued
        from realtime.messages m
        left join private.realtime_broadcasts b
          on b.topic = 'workspace:<workspace_id>:sync' and b.event = m.event
        where m.topic = any(${topics})
        order by m.inserted_at, m.id`;
      const events = differences.map((row) => row.event);
      assert.ok(events.includes("sync_completed") && events.includes("sync_failed"), `${events}`);
      for (const row of differences) {
        assert.equal(row.private, true, `${row.event} is sent privately`);
        assert.deepEqual(row.fields, row.catalogued, `${row.event}'s payload is as catalogued`);
      }
    },
  );
});
