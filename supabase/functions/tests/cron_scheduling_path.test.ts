// The whole scheduling path on the local stack: a pg_cron job's command calls
// private.invoke_edge_function → a row in net.http_request_queue → the dispatcher → the gateway →
// a function that checks the cron secret → a row it writes, and the response recorded in
// net._http_response. Without the secret the same call is refused and writes nothing.
import assert from "node:assert/strict";
import {
  connect,
  eventually,
  runCronJob,
  startTestDispatcher,
  startTestGateway,
  testStack,
  withProjectUrl,
} from "./_support/stack.ts";

const stack = testStack();

async function withScheduledPath(
  body: (context: {
    sql: ReturnType<typeof connect>;
    gatewayUrl: string;
  }) => Promise<void>,
) {
  const sql = connect(stack);
  await sql`create schema if not exists e2e_fixture`;
  await sql`create table if not exists e2e_fixture.cron_probe_calls (
    id bigint generated always as identity primary key,
    path text not null,
    body jsonb not null,
    received_at timestamptz not null default now())`;
  const gateway = await startTestGateway();
  const dispatcher = startTestDispatcher();
  try {
    await withProjectUrl(sql, gateway.url, () => body({ sql, gatewayUrl: gateway.url }));
  } finally {
    await dispatcher.stop();
    await gateway.close();
    await sql.end();
  }
}

Deno.test("a cron job's call reaches the function, which records it; the response is kept", async () => {
  await withScheduledPath(async ({ sql }) => {
    const marker = crypto.randomUUID();
    await sql`select cron.schedule('e2e-cron-probe', '0 0 1 1 *', ${`select private.invoke_edge_function('cron-probe/tick', '{"marker": "${marker}"}'::jsonb, 5000)`})`;
    try {
      await runCronJob(sql, "e2e-cron-probe");
    } finally {
      await sql`select cron.unschedule('e2e-cron-probe')`;
    }

    const call = await eventually("the function's row", async () => {
      const [row] = await sql`
        select path, body from e2e_fixture.cron_probe_calls where body->>'marker' = ${marker}`;
      return row;
    });
    assert.deepEqual(call.path, "/cron-probe/tick", "the handler sees the hosted runtime's path");

    const response = await eventually("the recorded response", async () => {
      const [row] = await sql`
        select id, status_code, content, timed_out, error_msg from net._http_response
        where content like ${`%${marker}%`}`;
      return row;
    });
    assert.deepEqual(response.status_code, 200);
    assert.deepEqual(response.timed_out, false);
    assert.deepEqual(response.error_msg, null);
    assert.deepEqual(JSON.parse(response.content).marker, marker);
    // Only this request: the stack's own every-minute jobs may be queueing theirs meanwhile.
    const [{ queued }] = await sql`
      select count(*)::int as queued from net.http_request_queue where id = ${response.id}`;
    assert.deepEqual(queued, 0, "the dispatcher claimed the request");
  });
});

Deno.test("the same call without the cron secret is refused with 401 and writes nothing", async () => {
  await withScheduledPath(async ({ sql, gatewayUrl }) => {
    const marker = crypto.randomUUID();
    const [{ id }] = await sql`
      select net.http_post(
        url := ${`${gatewayUrl}/functions/v1/cron-probe`},
        body := ${sql.json({ marker })},
        headers := ${sql.json({ Authorization: `Bearer ${stack.anonKey}` })}
      ) as id`;
    const response = await eventually("the recorded response", async () => {
      const [row] = await sql`
        select status_code, content from net._http_response where id = ${id}`;
      return row;
    });
    assert.deepEqual(response.status_code, 401);
    assert.deepEqual(JSON.parse(response.content), { error: "unauthorized" }, "the function's 401");
    const [{ calls }] = await sql`
      select count(*)::int as calls from e2e_fixture.cron_probe_calls
      where body->>'marker' = ${marker}`;
    assert.deepEqual(calls, 0);
  });
});

Deno.test("a wrong cron secret is refused too", async () => {
  await withScheduledPath(async ({ sql, gatewayUrl }) => {
    const [{ id }] = await sql`
      select net.http_post(
        url := ${`${gatewayUrl}/functions/v1/cron-probe`},
        headers := ${
      sql.json({
        Authorization: `Bearer ${stack.anonKey}`,
        "x-cron-secret": "not-the-secret-at-all",
      })
    }
      ) as id`;
    const response = await eventually("the recorded response", async () => {
      const [row] = await sql`
        select status_code, content from net._http_response where id = ${id}`;
      return row;
    });
    assert.deepEqual(response.status_code, 401);
    assert.deepEqual(JSON.parse(response.content), { error: "unauthorized" }, "the function's 401");
  });
});
