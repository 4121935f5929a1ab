-- realtime.send writes a broadcast into realtime.messages and, like the hosted function, never
-- raises: a failed send must not abort the transaction that called it.
begin;
select plan(5);

select lives_ok(
  $$select realtime.send('{"n": 1}'::jsonb, 'metrics_updated', 'workspace:1:metrics')$$,
  'send succeeds');
select results_eq(
  $$select topic, event, extension, private, payload - 'id' from realtime.messages
    where topic = 'workspace:1:metrics'$$,
  $$values ('workspace:1:metrics', 'metrics_updated', 'broadcast', true, '{"n": 1}'::jsonb)$$,
  'the message is stored as a private broadcast (send adds an id to the payload)');

select lives_ok(
  $$select realtime.send('{}'::jsonb, 'broken', null)$$,
  'a send that cannot be stored (no topic) does not raise');
select is((select count(*) from realtime.messages where event = 'broken'), 0::bigint,
  'and stores nothing');

select is(
  (select count(*) from pg_catalog.pg_publication where pubname = 'supabase_realtime'),
  1::bigint, 'the supabase_realtime publication exists');

select * from finish();
rollback;
