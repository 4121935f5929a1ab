// calculate-provider-performance end to end: the function on a test gateway and the database,
// called as an operator recomputing a day, and as pg_cron's hourly job through
// private.invoke_edge_function and the pg_net dispatcher.
import assert from "node:assert/strict";
import {
  connect,
  eventually,
  runCronJob,
  startTestDispatcher,
  startTestGateway,
  testStack,
  withProjectUrl,
} from "../_support/stack.ts";

const stack = testStack();
const sql = connect(stack);

interface Fixture {
  connectionId: string;
  /** The connection's local yesterday, whose snapshot the calculation takes. */
  day: string;
}

/**
 * A connection in `timezone` with a workspace and three mailboxes, snapshotted on the day before
 * its local yesterday; then Bison's counters move on by what was sent on local yesterday.
 */
async function createFixture(name: string, timezone: string): Promise<Fixture> {
  const [{ id: connectionId, day, before }] = await sql`
    insert into public.bison_connections (name, base_url, timezone)
    values (${name}, 'https://provider.example.test', ${timezone})
    returning id::text, ((now() at time zone timezone)::date - 1)::text as day,
              ((now() at time zone timezone)::date - 2)::text as before`;
  const [{ id: workspaceId }] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    values (${connectionId}, 1, 'Client') returning id`;
  await sql`
    insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
      daily_limit, provider, reseller, emails_sent, unique_replies, bounced)
    values (${connectionId}, 1, ${workspaceId}, 'connected', 50, 'Google', 'Zapmail', 1000, 10, 2),
           (${connectionId}, 2, ${workspaceId}, 'connected', 50, 'Google', 'Zapmail', 400, 1, 0),
           (${connectionId}, 3, ${workspaceId}, 'disconnected', 30, 'Microsoft', null, 50, 1, 0)`;
  await sql`select private.snapshot_sender_emails(${connectionId}::uuid, ${before}::date)`;
  await sql`
    update public.sender_emails set
      emails_sent = emails_sent + case bison_sender_email_id when 1 then 40 when 2 then 20 else 5 end,
      unique_replies = unique_replies + case bison_sender_email_id when 1 then 1 else 0 end,
      bounced = bounced + case bison_sender_email_id when 3 then 1 else 0 end
    where connection_id = ${connectionId}`;
  return { connectionId, day };
}

async function historyRows(connectionId: string) {
  const rows = await sql`
    select day::text, provider, reseller, mailboxes_total, mailboxes_connected,
           mailboxes_disconnected, burnt_mailboxes, emails_sent_day::int,
           unique_replies_day::int, bounces_day::int, reply_rate_day_pct::float8,
           total_daily_limit::int, utilisation_pct::float8
    from public.provider_performance_history where connection_id = ${connectionId}
    order by provider`;
  return rows.map((row) => ({ ...row }));
}

const expectedRows = (day: string) => [
  {
    day,
    provider: "Google",
    reseller: "Zapmail",
    mailboxes_total: 2,
    mailboxes_connected: 2,
    mailboxes_disconnected: 0,
    burnt_mailboxes: 1, // 1 reply in 420 sends is under 0.4%
    emails_sent_day: 60,
    unique_replies_day: 1,
    bounces_day: 0,
    reply_rate_day_pct: 1.67, // 1 in 60, as a percentage
    total_daily_limit: 100,
    utilisation_pct: 60,
  },
  {
    day,
    provider: "Microsoft",
    reseller: null,
    mailboxes_total: 1,
    mailboxes_connected: 0,
    mailboxes_disconnected: 1,
    burnt_mailboxes: 0,
    emails_sent_day: 5,
    unique_replies_day: 0,
    bounces_day: 1,
    reply_rate_day_pct: 0,
    total_daily_limit: 0,
    utilisation_pct: null,
  },
];

/** A zone whose local time now is far from midnight, so "yesterday" cannot change mid-test. */
async function zoneAwayFromMidnight(): Promise<string> {
  const [row] = await sql`
    select z from unnest(array['America/Chicago', 'Asia/Tokyo', 'Europe/London']) z
    where extract(hour from now() at time zone z) between 2 and 21
    limit 1`;
  return row.z;
}

Deno.test("an operator recomputes a connection's day: 200, rows written, the same on a rerun", async () => {
  const name = `provider-${crypto.randomUUID()}`;
  const gateway = await startTestGateway();
  const url = `${gateway.url}/functions/v1/calculate-provider-performance`;
  // The anon key passes the gateway whatever verify_jwt says; the function checks the secret.
  const headers = {
    authorization: `Bearer ${stack.anonKey}`,
    "content-type": "application/json",
    "x-cron-secret": stack.cronSecret,
  };
  try {
    const { connectionId, day } = await createFixture(name, await zoneAwayFromMidnight());
    const call = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(url, { method: "POST", headers: { ...headers, ...extra }, body: JSON.stringify(body) });

    let response = await call({ connection_id: connectionId, day });
    assert.equal(response.status, 200, await response.clone().text());
    const summary = await response.json();
    assert.equal(summary.connections, 1);
    assert.equal(summary.rows_written, 2);
    assert.equal(summary.failed, 0);
    assert.equal(typeof summary.duration_ms, "number");
    assert.deepEqual(summary.results, [{ connection_id: connectionId, day, rows_written: 2 }]);
    assert.deepEqual(await historyRows(connectionId), expectedRows(day));

    // More sends after midnight do not leak into the day: its snapshot was taken once.
    await sql`update public.sender_emails set emails_sent = emails_sent + 1000
              where connection_id = ${connectionId}`;
    response = await call({ connection_id: connectionId });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).rows_written, 2);
    assert.deepEqual(await historyRows(connectionId), expectedRows(day), "rerun: same rows");

    response = await call({ connection_id: connectionId, day: "2999-01-01" });
    assert.equal(response.status, 400);
    assert.match((await response.json()).results[0].error, /has not ended yet/);

    response = await call({ connection_id: crypto.randomUUID() });
    assert.equal(response.status, 404);
    await response.body?.cancel();

    response = await call({ connection_id: connectionId, day: "yesterday" });
    assert.equal(response.status, 400);
    await response.body?.cancel();

    response = await call({ connection_id: connectionId }, {
      "x-cron-secret": "wrong-secret-0123456789",
    });
    assert.equal(response.status, 401);
    await response.body?.cancel();

    response = await fetch(url, { headers });
    assert.equal(response.status, 405);
    await response.body?.cancel();
  } finally {
    await sql`delete from public.bison_connections where name = ${name}`;
    await gateway.close();
  }
});

Deno.test("the hourly cron job computes a connection whose local day has just ended", async () => {
  const name = `provider-cron-${crypto.randomUUID()}`;
  // A zone where it is now between 00:10 and 02:50: its yesterday is due. There always is one,
  // since zones span UTC-12 to UTC+14.
  const [{ zone }] = await sql`
    select name as zone from pg_catalog.pg_timezone_names
    where name ~ '^(Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Za-z_]+$'
      and (now() at time zone name)::time between time '00:10' and time '02:50'
    order by name limit 1`;
  const gateway = await startTestGateway();
  const dispatcher = startTestDispatcher();
  try {
    const { connectionId, day } = await createFixture(name, zone);
    const [due] = await sql`
      select day::text from private.provider_performance_due() where connection_id = ${connectionId}`;
    assert.equal(due?.day, day, `${zone} is due for ${day}`);

    const response = await withProjectUrl(sql, gateway.url, async () => {
      const requestId = Number(await runCronJob(sql, "calculate-provider-performance"));
      return await eventually("the function's answer", async () => {
        const [row] = await sql`
          select status_code, content from net._http_response where id = ${requestId}`;
        return row;
      }, 30_000);
    });
    assert.equal(response.status_code, 200, response.content);
    const summary = JSON.parse(response.content);
    assert.ok(
      summary.results.some((result: { connection_id: string; day: string }) =>
        result.connection_id === connectionId && result.day === day
      ),
      `the run computed ${connectionId} for ${day}: ${response.content}`,
    );
    assert.deepEqual(await historyRows(connectionId), expectedRows(day));
    const [run] = await sql`
      select snapshots_taken, rows_written from private.provider_performance_runs
      where connection_id = ${connectionId} and day = ${day}`;
    assert.deepEqual({ ...run }, { snapshots_taken: 3, rows_written: 2 });
    const [again] = await sql`
      select count(*)::int as due from private.provider_performance_due()
      where connection_id = ${connectionId}`;
    assert.equal(again.due, 0, "once computed, the next hourly run leaves it alone");
  } finally {
    await sql`delete from public.bison_connections where name = ${name}`;
    await dispatcher.stop();
    await gateway.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
