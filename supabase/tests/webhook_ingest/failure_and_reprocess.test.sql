-- A processing failure never loses the event: it is kept raw with status failed and the error,
-- nothing is derived from it, and once the cause is gone reprocessing applies it exactly once.
begin;
select plan(14);

insert into public.bison_connections (name, base_url, timezone)
values ('Failure agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

-- A bug in processing, injected for this transaction only: writing a day row raises.
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
          "lead": {"id": 1, "email": "lead1@prospect.example.test"},
          "campaign": {"id": 2, "name": "test"},
          "sender_email": {"id": 3, "emails_sent": 10, "updated_at": "2024-08-02T06:08:38.000000Z"}}}
$j$::jsonb) as result \gset

select is(:'result'::jsonb ->> 'outcome', 'failed', 'the ingest outcome is failed');
select ok(:'result'::jsonb ? 'event_id', 'the failed event still has an id: it was stored');
select results_eq(
  $$select event_type, status, error, attempts, payload #>> '{data,campaign_event,id}'
    from private.webhook_events$$,
  $$values ('email_sent', 'failed', 'injected failure while writing day metrics', 1, '6')$$,
  'the raw event is kept with status failed and the error text');
select is((select count(*) from public.workspace_daily_metrics), 0::bigint, 'no day row');
select ok(
  (select count(*) from public.campaigns) = 0 and (select count(*) from public.leads) = 0
  and (select count(*) from public.sender_emails) = 0
  and (select count(*) from public.campaign_daily_metrics) = 0,
  'nothing else derived from the failed event survives either');
select is((select count(*) from realtime.messages), 0::bigint, 'nothing was broadcast');

-- The cause is fixed.
drop trigger pgtap_injected_failure on public.workspace_daily_metrics;

select results_eq('select outcome, events from private.reprocess_webhook_events()',
  $$values ('processed', 1::bigint)$$, 'reprocessing processes the one failed event');
select results_eq(
  'select status, error, attempts from private.webhook_events',
  $$values ('processed', null::text, 2)$$, 'the event is now processed and its error cleared');
select results_eq('select day, emails_sent from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 1)$$, 'the email is now counted once');
select results_eq('select day, emails_sent from public.campaign_daily_metrics',
  $$values ('2024-08-02'::date, 1)$$, 'and its campaign day row too');
select results_eq('select bison_sender_email_id, emails_sent from public.sender_emails',
  $$values (3::bigint, 10::bigint)$$, 'and its mailbox');

select is_empty('select * from private.reprocess_webhook_events()',
  'reprocessing again finds nothing to do');
select is((select emails_sent from public.workspace_daily_metrics), 1,
  'the processed event was not applied twice');
select is_empty(
  format('select * from private.reprocess_webhook_events(array[%s]::bigint[])',
         :'result'::jsonb ->> 'event_id'),
  'asking for the processed event by id does nothing either');

select * from finish();
rollback;
