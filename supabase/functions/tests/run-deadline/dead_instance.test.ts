// Against an instance that never answers, a run still ends before its caller's timeout (the
// x-caller-timeout-ms that private.invoke_edge_function sends), leaving its work for the next run
// and saying so, instead of 4 attempts of 30 s per request. Without a deadline each of these calls
// would take minutes; the test gives each 25 s.
import assert from "node:assert/strict";
import { connect, startTestGateway, testStack } from "../_support/stack.ts";

const stack = testStack();
const sql = connect(stack);

/** Accepts connections and never answers them: a Bison instance that hangs. */
function startDeadInstance() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* closed */ }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close() {
      for (const conn of held) conn.close();
      listener.close();
    },
  };
}

Deno.test("the webhook check, the reconciliation and a catch-up end before their caller's timeout", async () => {
  const dead = startDeadInstance();
  const gateway = await startTestGateway();
  const [{ id: connectionId }] = await sql`
    insert into public.bison_connections (name, base_url, allow_private_address)
    values (${`dead-${crypto.randomUUID()}`}, ${dead.url}, true) returning id`;
  try {
    await sql`select private.set_webhook_url(${connectionId},
      ${`${gateway.url}/functions/v1/universal-bison-webhook/${"d".repeat(43)}`})`;
    const [{ id: workspaceId }] = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connectionId}, 1, 'Hanging client') returning id::int`;
    await sql`select private.set_workspace_api_key(${workspaceId}, 'dead-key-0123456789',
                                                   'workspace')`;

    const call = async (path: string, callerTimeoutMs: number, body: unknown) => {
      const response = await fetch(`${gateway.url}/functions/v1/${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-cron-secret": stack.cronSecret,
          "x-caller-timeout-ms": String(callerTimeoutMs),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(25_000),
      });
      return { status: response.status, body: await response.json() };
    };
    const [webhooks, reconcile, catchUp] = await Promise.all([
      // Enough time to start the workspace's check, which the deadline then cuts short.
      call("check-webhook-subscriptions", 8_000, { connection_id: connectionId }),
      call("check-system-health/reconcile", 13_000, { workspace_id: workspaceId }),
      call("check-system-health/catch-up", 3_000, { workspace_id: workspaceId }),
    ]);

    assert.equal(webhooks.status, 200, JSON.stringify(webhooks.body));
    assert.deepEqual(webhooks.body.left, [workspaceId], "left for the next run");
    assert.deepEqual(webhooks.body.failed, [], "which is no failed repair");
    const [recorded] = await sql`
      select status from private.webhook_subscriptions where workspace_id = ${workspaceId}`;
    assert.equal(recorded, undefined, "nothing recorded for a check the deadline cut short");

    assert.equal(reconcile.status, 200, JSON.stringify(reconcile.body));
    assert.deepEqual(reconcile.body.left, [workspaceId]);
    assert.deepEqual(reconcile.body.failed, []);

    assert.equal(catchUp.body.deadline_reached, true, JSON.stringify(catchUp.body));
    assert.match(catchUp.body.error, /the run's deadline came first/);
    const [budget] = await sql`
      select 1 from private.bison_request_budgets where connection_id = ${connectionId}`;
    assert.ok(budget, "the functions' requests took their turns in the connection's budget");
  } finally {
    await sql`select private.purge_connection(${connectionId})`;
    await gateway.close();
    dead.close();
  }
});

Deno.test("a run that has no time left starts no workspace at all", async () => {
  const gateway = await startTestGateway();
  const [{ id: connectionId }] = await sql`
    insert into public.bison_connections (name, base_url, allow_private_address)
    values (${`late-${crypto.randomUUID()}`}, 'http://127.0.0.1:9', true) returning id`;
  try {
    const [{ id: workspaceId }] = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connectionId}, 1, 'Late client') returning id::int`;
    await sql`select private.set_workspace_api_key(${workspaceId}, 'late-key-0123456789',
                                                   'workspace')`;
    const response = await fetch(`${gateway.url}/functions/v1/check-system-health/reconcile`, {
      method: "POST",
      headers: { "x-cron-secret": stack.cronSecret, "x-caller-timeout-ms": "2000" },
      body: JSON.stringify({ workspace_id: workspaceId }),
    });
    const body = await response.json();
    assert.equal(response.status, 200);
    assert.deepEqual(body.left, [workspaceId]);
    assert.deepEqual(body.failed, [], "port 9 was never asked (it would have failed)");
  } finally {
    await sql`select private.purge_connection(${connectionId})`;
    await gateway.close();
  }
});
