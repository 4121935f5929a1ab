// Polling in slices through the function: an inventory larger than a slice is checkpointed and
// continued by the next slices into one complete sync; a dead instance opens its connection's
// circuit breaker, is left alone during its cool-down and probed after it, and never holds the
// slices of a connection whose instance answers; and no slice outlives its caller's timeout.
import assert from "node:assert/strict";
import {
  connect,
  connectInstanceWorkspaces,
  startTestGateway,
  testStack,
} from "../_support/stack.ts";
import {
  generateMailboxes,
  startBisonSimulator,
} from "../../../../scripts/simulator/bison-simulator.ts";
import { deadInstance } from "../../../../scripts/simulator/dead-instance.ts";

const stack = testStack();
const sql = connect(stack);
const pageTimeoutMs = 400;

type Slice = Record<string, unknown> & {
  connection: { connection_id: string; breaker: string } | null;
  continued: number;
  workspaces: number;
  failed: unknown[];
  duration_ms: number;
};

/** A connection (named name) at baseUrl whose workspaces get keys; returns its id and theirs. */
async function connectInstance(name: string, baseUrl: string, bisonWorkspaceIds: number[]) {
  const { connectionId, workspaceIds: ids } = await connectInstanceWorkspaces(
    name,
    baseUrl,
    bisonWorkspaceIds.map((id) => ({ id })),
    { check: false },
  );
  // Other suites' workspaces may be due too (or never polled yet): only ours are, from now on.
  await sql`insert into private.workspace_poll_state (workspace_id)
            select workspace_id from private.workspace_api_keys on conflict do nothing`;
  await sql`update private.workspace_poll_state set next_poll_at = 'infinity'
            where workspace_id <> all(${ids})`;
  return { connectionId, workspaceIds: ids };
}

async function callSlice(
  functionsUrl: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${functionsUrl}/poll-sender-emails`, {
    method: "POST",
    headers: { "x-cron-secret": stack.cronSecret, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200);
  return await response.json() as Slice;
}

Deno.test("an inventory larger than a slice is checkpointed and continued into one sync", async () => {
  const simulator = startBisonSimulator({
    workspaces: [{
      id: 41,
      name: "Client 41",
      apiKey: "sim-key-41-abcdef",
      mailboxes: generateMailboxes(290, 410_000),
    }],
  });
  const gateway = await startTestGateway({ POLL_PAGE_TIMEOUT_MS: String(pageTimeoutMs) });
  const name = `slices-${crypto.randomUUID()}`;
  try {
    const { workspaceIds: [workspaceId] } = await connectInstance(name, simulator.url, [41]);
    const functionsUrl = `${gateway.url}/functions/v1`;
    const stored = async () => {
      const [row] = await sql`
        select count(*)::int as n from public.sender_emails where workspace_id = ${workspaceId}`;
      return row.n;
    };

    const first = await callSlice(functionsUrl, { max_pages: 6 });
    assert.equal(first.continued, 1, "the slice stopped at its page bound and checkpointed");
    assert.equal(first.workspaces, 0);
    assert.equal(await stored(), 0, "nothing is written before the inventory is complete");
    const slices: Slice[] = [first];
    while (slices.length < 10 && (slices[slices.length - 1].continued ?? 0) > 0) {
      slices.push(await callSlice(functionsUrl, { max_pages: 6 }));
    }
    assert.equal(slices[slices.length - 1].workspaces, 1, "the last slice completed it");
    assert.equal(slices.length, 4, "20 pages at 6 (or 7: workers overshoot by one) a slice");
    assert.equal(await stored(), 290);
    const runs = await sql`
      select pages, mailboxes_seen, upserted, complete, error
      from public.sender_email_sync_runs where workspace_id = ${workspaceId}`;
    assert.deepEqual(runs.map((run) => ({ ...run })), [
      { pages: 20, mailboxes_seen: 290, upserted: 290, complete: true, error: null },
    ], "one sync run, across the slices");
    const firstPages = simulator.requests.filter((request) =>
      request.path === "/api/sender-emails" && (request.page ?? 1) === 1
    );
    assert.equal(firstPages.length, 1, "each page was fetched once");
  } finally {
    await sql`delete from public.bison_connections where name = ${name}`;
    await gateway.close();
    await simulator.close();
  }
});

Deno.test("a dead instance opens its breaker and never holds a healthy connection's slice", async () => {
  const healthy = startBisonSimulator({
    latencyMs: 20,
    workspaces: [51, 52, 53].map((id) => ({
      id,
      name: `Client ${id}`,
      apiKey: `sim-key-${id}-abcdef`,
      mailboxes: generateMailboxes(45, id * 10_000),
    })),
  });
  const dead = deadInstance();
  const gateway = await startTestGateway({ POLL_PAGE_TIMEOUT_MS: String(pageTimeoutMs) });
  const names = [`healthy-${crypto.randomUUID()}`, `dead-${crypto.randomUUID()}`];
  try {
    const alive = await connectInstance(names[0], healthy.url, [51, 52, 53]);
    const gone = await connectInstance(names[1], dead.url, [61, 62, 63, 64]);
    await sql`update private.workspace_poll_state set next_poll_at = now()
              where workspace_id = any(${[...alive.workspaceIds, ...gone.workspaceIds]})`;
    // The dead instance's workspaces have waited longest: its connection is served first.
    await sql`update private.workspace_poll_state set last_complete_sync_at = now()
              where workspace_id = any(${alive.workspaceIds})`;
    const functionsUrl = `${gateway.url}/functions/v1`;

    const deadSlice = await callSlice(functionsUrl);
    assert.equal(deadSlice.connection?.connection_id, gone.connectionId);
    assert.equal(deadSlice.connection?.breaker, "open", "unanswered requests open the breaker");
    assert.deepEqual(deadSlice.failed, [], "its workspaces are not failed, only left for later");
    assert.ok(
      deadSlice.duration_ms < 4 * pageTimeoutMs + 2000,
      `it gave up after the first timeouts (${deadSlice.duration_ms} ms)`,
    );
    const [breaker] = await sql`
      select breaker_open_until > now() as open from private.connection_poll_state
      where connection_id = ${gone.connectionId}`;
    assert.equal(breaker.open, true);

    const requestsSeen = dead.accepted();
    const healthySlice = await callSlice(functionsUrl);
    assert.equal(healthySlice.connection?.connection_id, alive.connectionId);
    assert.equal(healthySlice.workspaces, 3, "the healthy connection's workspaces all synced");
    assert.deepEqual(healthySlice.failed, []);
    const idle = await callSlice(functionsUrl);
    assert.equal(idle.connection, null, "while it cools down, no slice serves the dead instance");
    assert.equal(dead.accepted(), requestsSeen, "and nothing is sent to it");

    // The cool-down is over: one worker probes it, which opens the breaker again.
    await sql`update private.connection_poll_state set breaker_open_until = now()
              where connection_id = ${gone.connectionId}`;
    const probe = await callSlice(functionsUrl);
    assert.equal(probe.connection?.connection_id, gone.connectionId);
    assert.equal(probe.connection?.breaker, "open");
    assert.equal(dead.accepted() - requestsSeen, 1, "the probe was one request");
    const [again] = await sql`
      select breaker_opens, breaker_open_until > now() + interval '90 seconds' as longer
      from private.connection_poll_state where connection_id = ${gone.connectionId}`;
    assert.deepEqual({ ...again }, { breaker_opens: 2, longer: true }, "for twice as long");
  } finally {
    await sql`delete from public.bison_connections where name = any(${names})`;
    await gateway.close();
    await healthy.close();
    dead.close();
  }
});

Deno.test("a slice ends before its caller's timeout, whatever the instance does", async () => {
  const hanging = deadInstance();
  // Pages time out after 30 s: only the run's deadline can end this slice early.
  const gateway = await startTestGateway({ POLL_PAGE_TIMEOUT_MS: "30000" });
  const name = `hanging-${crypto.randomUUID()}`;
  try {
    const { workspaceIds } = await connectInstance(name, hanging.url, [71]);
    await sql`update private.workspace_poll_state set next_poll_at = now()
              where workspace_id = any(${workspaceIds})`;
    const started = performance.now();
    // pg_net would wait 14 s: the deadline is that less a fifth of it, 11.2 s.
    const slice = await callSlice(`${gateway.url}/functions/v1`, {}, {
      "x-caller-timeout-ms": "14000",
    });
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 14_000, `answered after ${Math.round(elapsedMs)} ms`);
    assert.equal(slice.continued, 1, "its inventory is checkpointed for the next slice");
    assert.deepEqual(slice.failed, [], "not failed: the deadline is not the instance's fault");
    assert.equal(slice.connection?.breaker, "closed", "nor does it open the breaker");
    const [state] = await sql`
      select next_poll_at <= now() as due, consecutive_failures from private.workspace_poll_state
      where workspace_id = ${workspaceIds[0]}`;
    assert.deepEqual({ ...state }, { due: true, consecutive_failures: 0 });
  } finally {
    await sql`delete from public.bison_connections where name = ${name}`;
    await gateway.close();
    hanging.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
