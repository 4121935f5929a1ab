-- "Processed events are never applied twice" must hold when two reprocess runs overlap. Both pick
-- the same failed event as a candidate; the second blocks on the row lock that
-- private.process_webhook_event takes, and once the first commits it gets the row, now processed,
-- and calls private.process_webhook_event on it. That call must not apply the event again.
-- (Two sessions cannot be run from one pgTAP file, so the second run's call is made directly.)
begin;
select plan(6);

insert into public.bison_connections (name, base_url, timezone)
values ('Overlap agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

create function pg_temp.injected_failure() returns trigger
language plpgsql set search_path = '' as $$
begin
  raise exception 'injected failure while writing day metrics';
end;
$$;
create trigger pgtap_injected_failure
  before insert or update on public.workspace_daily_metrics
  for each row execute function pg_temp.injected_failure();

select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_SENT", "name": "Email Sent", "workspace_id": 1, "workspace_name": "Client"},
 "data": {"scheduled_email": {"id": 4, "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 6, "type": "sent", "created_at": "2024-08-02T06:09:35.000000Z"},
          "lead": {"id": 1}, "campaign": {"id": 2, "name": "test"}}}
$j$::jsonb) as result \gset
select is(:'result'::jsonb ->> 'outcome', 'failed', 'setup: the event failed');

drop trigger pgtap_injected_failure on public.workspace_daily_metrics;

-- The first run.
select results_eq('select outcome, events from private.reprocess_webhook_events()',
  $$values ('processed', 1::bigint)$$, 'the first reprocess run processes it');
select is((select emails_sent from public.workspace_daily_metrics), 1, 'it is counted once');

-- The overlapping second run reaches the same event after the first run processed it.
select lives_ok(
  format('select private.process_webhook_event(%s)', :'result'::jsonb ->> 'event_id'),
  'the second run''s call on the now-processed event does not raise');
select is((select emails_sent from public.workspace_daily_metrics), 1,
  'the already processed event is not counted a second time');
select is((select emails_sent from public.campaign_daily_metrics), 1,
  'nor a second time for its campaign');

select * from finish();
rollback;
