-- Raw payloads older than the retention setting (30 days) go a whole day at a time: the hourly
-- job drops the daily partitions wholly older than it, never deleting rows. Events never
-- processed successfully move to the kept partition first and stay reprocessable; metrics are
-- kept forever; partitions are made ready a week ahead.
begin;
select plan(17);

insert into public.bison_connections (name, base_url, timezone)
values ('Retention agency', 'https://send.example.test', 'UTC') returning id as conn \gset
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

-- old_processed and young_processed are processed; old_failed fails (it names no workspace).
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.email_sent(1, '1')) ->> 'event_id') as old_processed \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.email_sent(2, 'null')) ->> 'event_id') as old_failed \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.email_sent(3, '1')) ->> 'event_id') as young_processed \gset
insert into private.quarantined_webhook_bodies (connection_id, reason, body, received_at)
values (:'conn', '22P02', '{"broken', now() - interval '31 days'),
       (:'conn', '22P02', '{"recent', now() - interval '1 day');

select results_eq(
  'select id, status from private.webhook_events order by id',
  format('values (%s::bigint, %L), (%s, %L), (%s, %L)', :old_processed, 'processed',
         :old_failed, 'failed', :young_processed, 'processed'),
  'setup: two processed events and one failed event');

-- Moved to the partitions of their days (an update of received_at moves a row).
update private.webhook_events set received_at = now() - interval '31 days'
where id in (:old_processed, :old_failed);
update private.webhook_events set received_at = now() - interval '29 days'
where id = :young_processed;
select ok(
  (select tableoid::regclass::text from private.webhook_events where id = :old_processed)
    like 'private.webhook_events_p%',
  'setup: events live in daily partitions');

create temporary table run1 on commit drop as select private.maintain_webhook_events() as result;
select ok(jsonb_array_length((select result -> 'partitions_dropped' from run1)) >= 1,
  'the job drops the partitions past the retention');
select is((select (result ->> 'events_kept')::int from run1), 1,
  'and keeps the one event never processed successfully');
select results_eq('select id from private.webhook_events order by id',
  array[:old_failed::bigint, :young_processed::bigint],
  'only the processed event older than 30 days is gone; the failed one and a younger one stay');
select is((select tableoid::regclass::text from private.webhook_events where id = :old_failed),
  'private.webhook_events_kept', 'the failed event lives on in the kept partition');
select is_empty(
  $$select 1 from private.webhook_event_partitions()
    where ends_at <= now() - interval '30 days' and partition::text <> 'private.webhook_events_kept'$$,
  'no partition wholly older than the retention is left but the kept one');
select results_eq('select outcome, events from private.reprocess_webhook_events()',
  $$values ('failed'::text, 1::bigint)$$, 'the kept event can still be reprocessed');
select results_eq('select day, emails_sent from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 2)$$, 'the day metrics derived from dropped events are untouched');
select results_eq(
  'select body from private.quarantined_webhook_bodies',
  array['{"recent'], 'quarantined bodies older than the retention are deleted with them');
select ok(
  exists (select 1 from private.webhook_event_partitions()
          where starts_at <= now() + interval '7 days' and ends_at > now() + interval '7 days'),
  'partitions are ready a week ahead');

select is((select private.maintain_webhook_events() -> 'partitions_dropped'), '[]'::jsonb,
  'running it again drops nothing');

update private.settings set value = '"12 hours"' where key = 'webhook_payload_retention';
select throws_ok('select private.maintain_webhook_events()', '22023', null,
  'a retention below 1 day is refused');
select is((select count(*) from private.webhook_events), 2::bigint,
  'and nothing was dropped by the refused call');

update private.settings set value = '"28 days"' where key = 'webhook_payload_retention';
select is((select private.maintain_webhook_events() ->> 'events_kept')::int, 0,
  'a shorter retention setting is honoured');
select results_eq('select id from private.webhook_events', array[:old_failed::bigint],
  'the 29-day-old event went with its day');

select is(
  (select string_agg(format('%s | %s | %s', jobname, schedule, command), '; ') from cron.job
   where jobname in ('maintain-webhook-events', 'prune-webhook-events')),
  'maintain-webhook-events | 17 * * * * | select private.maintain_webhook_events()',
  'the hourly pg_cron job maintain-webhook-events replaces the row-deleting one');

select * from finish();
rollback;
