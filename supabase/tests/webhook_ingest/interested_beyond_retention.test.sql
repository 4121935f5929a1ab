-- An interested reply replayed after its raw event was pruned (an emergency catch-up reaching
-- back further than the retention) is not counted a second time: its key is still in the ledger
-- of idempotency keys.
begin;
select plan(3);

insert into public.bison_connections (name, base_url) values ('pgtap', 'https://x.example.test');
create temp table conn as select id from public.bison_connections where name = 'pgtap';
create temp table body as select $j$
{"event": {"type": "LEAD_INTERESTED", "workspace_id": 1},
 "data": {"reply": {"id": 9001, "date_received": "2026-09-01T10:00:00Z", "interested": true},
          "lead": {"id": 5}, "campaign": {"id": 2}}}
$j$::jsonb as payload;

select is(private.ingest_event((select id from conn), (select payload from body)) ->> 'outcome',
  'processed', 'the first delivery is processed');
delete from private.webhook_events where connection_id = (select id from conn);
select is(private.ingest_event((select id from conn), (select payload from body)) ->> 'outcome',
  'duplicate', 'after its raw event is gone, the replay is still a duplicate...');
select is(
  (select sum(interested)::int from public.workspace_daily_metrics m
   join public.workspaces w on w.id = m.workspace_id where w.connection_id = (select id from conn)),
  1, '...so the reply is not counted again');

select * from finish();
rollback;
