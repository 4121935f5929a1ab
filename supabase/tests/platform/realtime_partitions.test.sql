-- realtime.messages is partitioned by day as the Realtime server keeps it on hosted: one partition
-- per UTC day from yesterday to three days ahead, and no default partition. A broadcast is stored
-- in today's partition; a message for a day without a partition cannot be stored at all (on
-- hosted, realtime.send turns that into a warning and the broadcast is lost).
begin;
select plan(6);

select is(
  (select array_agg(c.relname::text order by c.relname)
   from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'realtime.messages'::regclass),
  (select array_agg('messages_' || to_char(d, 'YYYY_MM_DD') order by d)
   from generate_series((now() at time zone 'UTC')::date - 1,
                        (now() at time zone 'UTC')::date + 3, interval '1 day') d),
  'one partition per UTC day, yesterday to three days ahead');
select is(
  (select count(*) from pg_catalog.pg_partitioned_table p
   where p.partrelid = 'realtime.messages'::regclass and p.partdefid <> 0),
  0::bigint, 'and no default partition');
select is(
  (select array_agg(distinct pg_catalog.pg_get_userbyid(c.relowner)::text)
   from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'realtime.messages'::regclass),
  array['supabase_realtime_admin'], 'owned by supabase_realtime_admin, as Realtime makes them');

select realtime.send('{"n": 1}'::jsonb, 'partition_test', 'workspace:1:partitions');
select is(
  (select tableoid::regclass::text from realtime.messages where event = 'partition_test'),
  'realtime.messages_' || to_char(now() at time zone 'UTC', 'YYYY_MM_DD'),
  'a broadcast is stored in today''s partition');

select throws_ok(
  $$insert into realtime.messages (topic, extension, event, inserted_at)
    values ('workspace:1:partitions', 'broadcast', 'too_late', now() + interval '10 days')$$,
  '23514', null, 'a message for a day without a partition cannot be stored');

select ok(
  not has_function_privilege('realtime_local.maintain_message_partitions()', 'execute'),
  'partition upkeep belongs to the platform, not to postgres');

select * from finish();
rollback;
