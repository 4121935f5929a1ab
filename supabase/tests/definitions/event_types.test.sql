-- Event-type knowledge lives in private.webhook_event_types: the 17 Bison types, what each
-- counts, which lead status and mailbox status it sets, how it is keyed and timed. A new type is
-- a row; a new counter is a column, a row and private.define_daily_metric_increment().
begin;
select plan(8);

select is((select count(*)::int from private.webhook_event_types), 17, 'the 17 Bison event types');
select results_eq(
  $$select event_type, metric from private.webhook_event_types where metric is not null
    order by event_type$$,
  $$values ('email_bounced', 'bounces'), ('email_opened', 'opens'), ('email_sent', 'emails_sent'),
           ('lead_first_contacted', 'first_contacts'), ('lead_interested', 'interested'),
           ('lead_replied', 'replies'), ('lead_unsubscribed', 'unsubscribes'),
           ('manual_email_sent', 'manual_emails_sent'),
           ('untracked_reply_received', 'untracked_replies')$$,
  'which day counter each type adds to');

insert into public.bison_connections (name, base_url) values ('types', 'https://t.example.test')
returning id as conn \gset

-- A type the mirror does not know is kept and reported, nothing derived...
select is(private.ingest_event(:'conn', '{"event": {"type": "LEAD_SNOOZED", "workspace_id": 1},
  "data": {"lead": {"id": 5}, "campaign_event": {"id": 77, "created_at": "2026-11-20T10:00:00Z"}}}')
  ->> 'outcome', 'unknown_type', 'an unknown type is stored as unknown');

-- ...and becomes known with one row and a counter of its own.
alter table public.workspace_daily_metrics add column snoozes integer not null default 0;
alter table public.campaign_daily_metrics add column snoozes integer not null default 0;
insert into private.webhook_event_types (event_type, metric, lead_status, description)
values ('lead_snoozed', 'snoozes', 'contacted', 'a lead is snoozed');
select lives_ok($$select private.define_daily_metric_increment()$$,
  'the increment function is generated again with the new counter');
select is(private.ingest_event(:'conn', '{"event": {"type": "LEAD_SNOOZED", "workspace_id": 1},
  "data": {"lead": {"id": 5}, "campaign_event": {"id": 78, "created_at": "2026-11-20T10:00:00Z"}}}')
  ->> 'outcome', 'processed', 'the new type is processed');
select is(
  (select m.snoozes from public.workspace_daily_metrics m
   join public.workspaces w on w.id = m.workspace_id
   where w.connection_id = :'conn' and m.day = '2026-11-20'), 1, 'and counted in its column');

insert into private.webhook_event_types (event_type, metric, description)
values ('lead_waved', 'waves', 'a lead waves');
select throws_ok($$select private.define_daily_metric_increment()$$, '42703',
  'event types name counters the day tables lack: workspace_daily_metrics.waves, campaign_daily_metrics.waves',
  'a counter without its columns is refused');

select is(
  private.webhook_event_time('lead_interested', '{"reply": {"date_received": "2026-11-01T10:00:00Z"},
    "campaign_event": {"created_at": "2026-11-03T10:00:00Z"}}')::text,
  private.webhook_event_time('lead_replied', '{"reply": {"date_received": "2026-11-03T10:00:00Z"}}')::text,
  'interest counts when it was marked, a reply when it arrived (counts_when_marked)');

select * from finish();
rollback;
