-- An event is counted on its local date in the workspace's reporting zone (the connection's unless
-- the workspace overrides it), DST transitions included; a later override moves later events only.
begin;
select plan(11);

insert into public.bison_connections (name, base_url, timezone)
values ('Chicago agency', 'https://send.example.test', 'America/Chicago') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

-- An EMAIL_SENT of workspace 1, campaign 2, whose campaign_event has this id and created_at.
create function pg_temp.email_sent(event_id int, created_at text) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object(
    'event', jsonb_build_object('type', 'EMAIL_SENT', 'name', 'Email Sent', 'workspace_id', 1,
                                'workspace_name', 'Chicago client'),
    'data', jsonb_build_object(
      'scheduled_email', jsonb_build_object('id', event_id, 'status', 'sent', 'sent_at', created_at),
      'campaign_event', jsonb_build_object('id', event_id, 'type', 'sent',
                                           'created_at', created_at),
      'lead', jsonb_build_object('id', 1, 'email', 'lead1@prospect.example.test'),
      'campaign', jsonb_build_object('id', 2, 'name', 'Campaign two')));
$$;

-- 2024-03-10 05:30 UTC is 23:30 CST on 2024-03-09 (DST starts at 08:00 UTC that day).
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.email_sent(1, '2024-03-10T05:30:00.000000Z')) ->> 'outcome',
  'processed', 'the March email is processed');
select is((select occurred_at from private.webhook_events),
  '2024-03-10 05:30:00+00'::timestamptz, 'the event time is campaign_event.created_at');
select results_eq('select day, emails_sent from public.workspace_daily_metrics',
  $$values ('2024-03-09'::date, 1)$$, '05:30 UTC on 10 March counts on 9 March in Chicago');
select results_eq('select day, emails_sent from public.campaign_daily_metrics',
  $$values ('2024-03-09'::date, 1)$$, 'the campaign day row uses the same local day');

-- DST ends at 07:00 UTC on 2024-11-03: 04:30 UTC is 23:30 CDT on 2 November, and 05:30 UTC is
-- 00:30 CDT on 3 November (a fixed UTC-6 would wrongly say 23:30 on 2 November).
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.email_sent(3, '2024-11-03T04:30:00.000000Z')) ->> 'outcome',
  'processed', 'the 04:30 UTC fall-back-day email is processed');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.email_sent(4, '2024-11-03T05:30:00.000000Z')) ->> 'outcome',
  'processed', 'the 05:30 UTC fall-back-day email is processed');
select results_eq(
  'select day, emails_sent from public.workspace_daily_metrics order by day',
  $$values ('2024-03-09'::date, 1), ('2024-11-02'::date, 1), ('2024-11-03'::date, 1)$$,
  'the fall-back day splits at local midnight in CDT');

-- The workspace now reports in UTC: later events use it, earlier day rows stay where they are.
update public.workspaces set timezone = 'UTC' where bison_workspace_id = 1;
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.email_sent(5, '2024-03-10T05:30:00.000000Z')) ->> 'outcome',
  'processed', 'an email after the override is processed');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.email_sent(6, '2024-11-03T04:30:00.000000Z')) ->> 'outcome',
  'processed', 'another email after the override is processed');
select results_eq(
  'select day, emails_sent from public.workspace_daily_metrics order by day',
  $$values ('2024-03-09'::date, 1), ('2024-03-10'::date, 1), ('2024-11-02'::date, 1),
           ('2024-11-03'::date, 2)$$,
  'with the UTC override the same instants count on their UTC dates');
select results_eq(
  'select day, emails_sent from public.campaign_daily_metrics order by day',
  $$values ('2024-03-09'::date, 1), ('2024-03-10'::date, 1), ('2024-11-02'::date, 1),
           ('2024-11-03'::date, 2)$$,
  'the campaign day rows follow the override too');

select * from finish();
rollback;
