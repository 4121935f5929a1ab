-- The local month pacing is measured in (private.local_month): its bounds in the workspace's zone,
-- and its sending days, Monday to Friday unless the workspace says otherwise, with the share of
-- today that has passed (a day the clocks change lasts 25 hours). The month to date
-- (public.workspace_month_to_date) sums every day counter over the month up to today.
begin;
select plan(11);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000e101', 'Month agency', 'https://m.example.test',
        'America/New_York');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values (920101, '00000000-0000-4000-8000-00000000e101', 1, 'Client');

select results_eq(
  $$select month_start, month_end_exclusive, today, days_in_month, sending_days_total,
           sending_days_elapsed, timezone
    from private.local_month(920101, '2026-12-03 17:00Z')$$,
  $$values ('2026-12-01'::date, '2027-01-01'::date, '2026-12-03'::date, 31, 23, 2.5::numeric,
            'America/New_York'::text)$$,
  'noon on Thursday 3 December in New York: Tuesday and Wednesday passed, half of Thursday');
select is((select month_start from private.local_month(920101, '2026-12-01 03:00Z')),
  '2026-11-01'::date, '03:00 UTC on 1 December is still November in New York');
select is((select sending_days_elapsed from private.local_month(920101, '2026-12-05 17:00Z')),
  4.0::numeric, 'on Saturday no sending time passes: the four weekdays of the month so far');
select is((select elapsed_days from private.local_month(920101, '2026-12-01 05:10Z')),
  round(1.0 / 24, 4), 'calendar days elapsed count at least an hour');

-- Sending days are the workspace's own.
select private.set_workspace_sending_days(920101, '{1,2,3,4,5,6,7}');
select results_eq(
  $$select sending_days_total, sending_days_elapsed
    from private.local_month(920101, '2026-12-05 17:00Z')$$,
  $$values (31, 4.5::numeric)$$, 'sending every day: Saturday counts, half of it so far');
-- 1 November 2026: New York leaves summer time at 02:00, so the day lasts 25 hours; by 12:00 EST
-- (17:00 UTC) 13 of them have passed.
select is((select sending_days_elapsed from private.local_month(920101, '2026-11-01 17:00Z')),
  round(13.0 / 25, 4), 'the share of a 25-hour day that has passed');
select private.set_workspace_sending_days(920101, '{6,7}');
select is((select sending_days_total from private.local_month(920101, '2026-12-03 17:00Z')),
  8, 'weekends only: 8 sending days in December 2026');

-- The month to date: every counter, this month's days up to today.
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, opens, untracked_replies)
select 920101, d.day, d.sent, 1, 2
from (select today, month_start from private.local_month(920101)) m
cross join lateral (values (m.today, 10), (m.month_start - 1, 1000), (m.today + 40, 5000)) d(day, sent);
select results_eq(
  $$select counters ->> 'emails_sent', counters ->> 'opens', counters ->> 'untracked_replies',
           counters ->> 'interested'
    from public.workspace_month_to_date where workspace_id = 920101$$,
  $$values ('10', '1', '2', '0')$$,
  'every counter is summed over the month so far, last month''s and later days left out');
select is(
  (select array(select jsonb_object_keys(counters) order by 1) from public.workspace_month_to_date
   where workspace_id = 920101),
  (select array(select c from unnest(private.daily_counters()) c order by 1)),
  'counters holds every day counter');
select is((select emails_sent from public.workspace_month_to_date where workspace_id = 920101),
  10::bigint, 'and the columns of the counters the view names read the same sums');

select tests.authenticate_as(tests.create_user('stranger@example.test'));
select is_empty($$select * from private.local_month(920101)$$,
  'a user who cannot read the workspace gets no month');

select * from finish();
rollback;
