-- Raw payloads older than the retention setting (30 days) are pruned daily by pg_cron, but only
-- those processed successfully: failed events stay for reprocessing, and metrics are kept forever.
begin;
select plan(10);

insert into public.bison_connections (name, base_url, timezone)
values ('Pruning agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

create function pg_temp.email_sent(event_id int, workspace jsonb) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object(
    'event', jsonb_build_object('type', 'EMAIL_SENT', 'name', 'Email Sent',
                                'workspace_id', workspace, 'workspace_name', 'Client'),
    'data', jsonb_build_object(
      'scheduled_email', jsonb_build_object('id', event_id,
                                            'sent_at', '2024-08-02T06:08:38.000000Z'),
      'campaign_event', jsonb_build_object('id', event_id, 'type', 'sent',
                                           'created_at', '2024-08-02T06:09:35.000000Z'),
      'lead', jsonb_build_object('id', event_id),
      'campaign', jsonb_build_object('id', 2)));
$$;

-- old_processed and kept_processed are processed; old_failed fails (it names no workspace).
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.email_sent(1, '1')) ->> 'event_id') as old_processed \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.email_sent(2, 'null')) ->> 'event_id') as old_failed \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.email_sent(3, '1')) ->> 'event_id') as kept_processed \gset

select results_eq(
  'select id, status from private.webhook_events order by id',
  format('values (%s::bigint, %L), (%s, %L), (%s, %L)', :old_processed, 'processed',
         :old_failed, 'failed', :kept_processed, 'processed'),
  'setup: two processed events and one failed event');

update private.webhook_events set received_at = now() - interval '31 days'
where id in (:old_processed, :old_failed);
update private.webhook_events set received_at = now() - interval '29 days'
where id = :kept_processed;

select is(private.prune_webhook_events(), 1::bigint, 'pruning deletes one event');
select results_eq('select id from private.webhook_events order by id',
  array[:old_failed::bigint, :kept_processed::bigint],
  'only the processed event older than 30 days is gone; the failed one and a younger one stay');
select results_eq('select day, emails_sent from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 2)$$, 'the day metrics derived from it are untouched');
select results_eq('select day, emails_sent from public.campaign_daily_metrics',
  $$values ('2024-08-02'::date, 2)$$, 'and so are the campaign day metrics');
select is(private.prune_webhook_events(), 0::bigint, 'pruning again deletes nothing');

update private.settings set value = '"12 hours"' where key = 'webhook_payload_retention';
select throws_ok('select private.prune_webhook_events()', '22023', null,
  'a retention below 1 day is refused');
select is((select count(*) from private.webhook_events), 2::bigint,
  'and nothing was deleted by the refused call');

update private.settings set value = '"28 days"' where key = 'webhook_payload_retention';
select is(private.prune_webhook_events(), 1::bigint,
  'a shorter retention setting is honoured: the 29-day-old event goes');

select results_eq(
  $$select schedule, command from cron.job where jobname = 'prune-webhook-events'$$,
  $$values ('17 3 * * *'::text, 'select private.prune_webhook_events()'::text)$$,
  'the daily pg_cron job prune-webhook-events exists');

select * from finish();
rollback;
