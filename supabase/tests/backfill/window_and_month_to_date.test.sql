-- The backfill covers the local month to date and earlier days (setting backfill_earlier_days);
-- the month to date and its pacing read backfilled and event-counted days alike.
begin;
select plan(6);

insert into public.bison_connections (name, base_url, timezone)
values ('Window agency', 'https://send.example.test', 'America/Chicago') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client one') returning id as ws \gset

select results_eq(
  format('select * from private.backfill_window(%s, null, %L)', :ws, '2026-12-01 03:00+00'),
  $$values ('2026-10-02'::date, '2026-11-30'::date)$$,
  '03:00 UTC on 1 December is still 30 November in Chicago: November to date and 30 days before');
select results_eq(
  format('select * from private.backfill_window(%s, 5, %L)', :ws, '2026-11-20 12:00+00'),
  $$values ('2026-10-27'::date, '2026-11-20'::date)$$, 'earlier_days is configurable');
update private.settings set value = '0' where key = 'backfill_earlier_days';
select results_eq(
  format('select * from private.backfill_window(%s, null, %L)', :ws, '2026-11-20 12:00+00'),
  $$values ('2026-11-01'::date, '2026-11-20'::date)$$, 'the default comes from the setting');

-- The month so far: a backfilled day and today's events.
select private.record_backfill(:ws, w.first_day, w.boundary_day, jsonb_build_array(
  jsonb_build_object('day', w.boundary_day, 'emails_sent', 30, 'replies', 2),
  jsonb_build_object('day', date_trunc('month', w.boundary_day)::date - 1, 'emails_sent', 900)))
from private.backfill_window(:ws, 10) w;

select results_eq(
  format('select emails_sent, replies, days_from_bison_stats from public.workspace_month_to_date
          where workspace_id = %s', :ws),
  $$values (30::bigint, 2::bigint, 1::bigint)$$,
  'the month to date counts the backfilled day and not last month''s');
select ok(
  (select case when sending_days_elapsed > 0 then projected_emails_sent >= emails_sent
               else projected_emails_sent is null end
   from public.workspace_month_to_date where workspace_id = :ws),
  'the projection is at least what was sent (none before the month''s first sending day)');

select tests.authenticate_as(tests.create_user('outsider@example.test'));
select is_empty('select * from public.workspace_month_to_date',
  'a user who is a member of no workspace sees no month to date');

select * from finish();
rollback;
