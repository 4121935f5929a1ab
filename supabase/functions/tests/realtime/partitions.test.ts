// On hosted, the Realtime server keeps realtime.messages' daily partitions: it creates them from
// yesterday to three days ahead and drops those older than three days. Locally both long-running
// platform processes do it (the Realtime stand-in when it starts and hourly, the pg_net
// dispatcher hourly). Each is started here against a table that has drifted, a partition older
// than three days and a future one missing, and must put it right.
import assert from "node:assert/strict";
import postgres from "postgres";
import { eventually, startTestApi, startTestDispatcher, testStack } from "../_support/stack.ts";

const stack = testStack();
// The partitions are the platform's (owned by supabase_realtime_admin): only its superuser may
// set up the drift the upkeep must repair, as the Realtime server alone changes them on hosted.
const platform = postgres(stack.platformDatabaseUrl, {
  max: 1,
  prepare: false,
  onnotice: () => {},
});

/** Partition names of realtime.messages for UTC today + offset. */
async function partitionFor(offsetDays: number): Promise<string> {
  const [{ name }] = await platform`
    select 'messages_' || to_char((now() at time zone 'UTC')::date + ${offsetDays}::integer,
                                  'YYYY_MM_DD') as name`;
  return name;
}

async function partitions(): Promise<string[]> {
  const rows = await platform`
    select c.relname::text as name from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'realtime.messages'::regclass order by 1`;
  return rows.map((row) => row.name);
}

/** An old partition Realtime would have dropped, and a future one it would have made, undone. */
async function drift(): Promise<{ stale: string; missing: string }> {
  const stale = await partitionFor(-10);
  const missing = await partitionFor(3);
  await platform.unsafe(`
    create table if not exists realtime.${stale} partition of realtime.messages
      for values from ('${stale.slice(9).replaceAll("_", "-")}')
                  to ('${stale.slice(9).replaceAll("_", "-")}'::date + 1)`);
  await platform.unsafe(`drop table if exists realtime.${missing}`);
  const now = await partitions();
  assert.ok(now.includes(stale) && !now.includes(missing), "the drift is in place");
  return { stale, missing };
}

async function repaired({ stale, missing }: { stale: string; missing: string }) {
  await eventually(`${stale} dropped and ${missing} created`, async () => {
    const now = await partitions();
    return !now.includes(stale) && now.includes(missing) ? true : undefined;
  });
  const [{ owner }] = await platform`
    select pg_catalog.pg_get_userbyid(c.relowner)::text as owner from pg_catalog.pg_class c
    where c.oid = ${`realtime.${missing}`}::regclass`;
  assert.equal(owner, "supabase_realtime_admin", "made as Realtime makes it");
}

Deno.test("the Realtime stand-in repairs the partitions when it starts", async () => {
  const drifted = await drift();
  const api = await startTestApi();
  try {
    await repaired(drifted);
  } finally {
    await api.close();
  }
});

Deno.test("the pg_net dispatcher repairs the partitions too", async () => {
  const drifted = await drift();
  const dispatcher = startTestDispatcher();
  try {
    await repaired(drifted);
  } finally {
    await dispatcher.stop();
  }
});

globalThis.addEventListener("unload", () => {
  platform.end();
});
