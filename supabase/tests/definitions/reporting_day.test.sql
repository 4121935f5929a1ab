-- One definition of the reporting day (private.local_day: the local date in the workspace's zone,
-- else its connection's) and of "the last N days" (private.reporting_period: the N local days
-- ending with today, today included, half-open), used by ingest, campaign metrics and insights.
begin;
select plan(7);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000d001', 'days', 'https://d.example.test', 'America/Chicago');
insert into public.workspaces (id, connection_id, bison_workspace_id, name, timezone)
overriding system value values
  (900301, '00000000-0000-4000-8000-00000000d001', 1, 'Zone of its connection', null),
  (900302, '00000000-0000-4000-8000-00000000d001', 2, 'Own zone', 'Asia/Tokyo');

select is(private.local_day(900301, '2026-11-20 05:59Z'), '2026-11-19'::date,
  '23:59 in Chicago is still the 19th there');
select is(private.local_day(900301, '2026-11-20 06:00Z'), '2026-11-20'::date,
  'local midnight starts the 20th');
select is(private.local_day(900302, '2026-11-19 15:00Z'), '2026-11-20'::date,
  'a workspace''s own zone wins over its connection''s');

select results_eq(
  $$select start, end_exclusive, today, timezone from private.reporting_period(900301, 7)$$,
  $$select (now() at time zone 'America/Chicago')::date - 6,
           (now() at time zone 'America/Chicago')::date + 1,
           (now() at time zone 'America/Chicago')::date, 'America/Chicago'::text$$,
  'the last 7 days: the 7 local days ending with today, today included');
select results_eq(
  $$select start, end_exclusive from private.reporting_period(900301, 14, '2026-11-15')$$,
  $$values ('2026-11-01'::date, '2026-11-15'::date)$$,
  'with an end: the days before it');
select throws_ok($$select * from private.reporting_period(900301, 0)$$, '22023', null,
  'a period has at least one day');

-- Campaign metrics' trailing 7 days count today's sends, as the insight period does.
insert into public.campaigns (id, workspace_id, bison_campaign_id, name)
overriding system value values (910301, 900301, 1, 'Today');
insert into public.campaign_daily_metrics (campaign_id, workspace_id, day, emails_sent)
values (910301, 900301, (now() at time zone 'America/Chicago')::date, 193),
       (910301, 900301, (now() at time zone 'America/Chicago')::date - 7, 1000);
select is((select emails_sent_7d from public.campaign_metrics where campaign_id = 910301),
  193::bigint, 'today''s sends are in the last 7 days; 7 days ago is not');

select * from finish();
rollback;
