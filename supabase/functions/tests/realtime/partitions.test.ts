// Hosted Realtime keeps daily partitions of realtime.messages; locally the platform layer may
// provide realtime_local.maintain_message_partitions(), which the Realtime stand-in runs when it
// starts (and hourly).
import { connect, eventually, startTestApi } from "../_support/stack.ts";

const sql = connect();

Deno.test("the service runs realtime_local.maintain_message_partitions() when it starts", async () => {
  const [{ present }] = await sql`
    select pg_catalog.to_regprocedure('realtime_local.maintain_message_partitions()') is not null
      as present`;
  if (present) {
    // The platform's own function: once the service has started, today's probe finds a partition.
    const api = await startTestApi();
    try {
      await eventually("a partition for today", async () => {
        const [{ ok }] = await sql`
          select exists (
            select 1 from pg_catalog.pg_inherits i
            join pg_catalog.pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'realtime.messages'::regclass
              and pg_catalog.pg_get_expr(c.relpartbound, c.oid) like
                '%' || to_char(now() at time zone 'utc', 'YYYY-MM-DD') || '%'
          ) as ok`;
        return ok ? true : undefined;
      });
    } finally {
      await api.close();
    }
    return;
  }
  // Without it, a stand-in that records its calls shows the service calls it.
  const [{ schema_existed }] = await sql`
    select pg_catalog.to_regnamespace('realtime_local') is not null as schema_existed`;
  await sql`create schema if not exists realtime_local`;
  await sql`create table realtime_local.test_maintenance_calls (at timestamptz default now())`;
  await sql`
    create function realtime_local.maintain_message_partitions() returns void
    language sql set search_path = '' as
    $$ insert into realtime_local.test_maintenance_calls default values $$`;
  try {
    const api = await startTestApi();
    try {
      await eventually("a maintenance call", async () => {
        const [{ count }] = await sql`
          select count(*)::int from realtime_local.test_maintenance_calls`;
        return count >= 1 ? count : undefined;
      });
    } finally {
      await api.close();
    }
  } finally {
    await sql`drop function realtime_local.maintain_message_partitions()`;
    await sql`drop table realtime_local.test_maintenance_calls`;
    if (!schema_existed) await sql`drop schema realtime_local`;
  }
});
