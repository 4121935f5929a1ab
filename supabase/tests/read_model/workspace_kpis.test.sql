-- public.workspace_kpis against numbers worked out by hand: five periods of local days in a zone
-- whose date differs from UTC's right now (so a UTC day would show), today so far included, a
-- day of Bison's own numbers counted as such, and nothing from before or after a period.
begin;
select plan(9);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000b201', 'kpis', 'https://kpis.example.test', 'UTC');
insert into public.workspaces (id, connection_id, bison_workspace_id, timezone)
overriding system value values
  (901201, '00000000-0000-4000-8000-00000000b201', 1,
   tests.timezone_off_the_utc_date()),
  (901202, '00000000-0000-4000-8000-00000000b201', 2, null);
create temp table local on commit drop as
select w.timezone as zone, (now() at time zone w.timezone)::date as today
from public.workspaces w where w.id = 901201;

-- (days before today, emails_sent, replies, interested, bounces, source)
create temp table fixture on commit drop as
select l.today - v.ago as day, v.* from local l, (values
  (-1, 1000000, 1000, 1000, 1000, 'events'),  -- tomorrow: counts nowhere
  (0, 1, 1, 1, 0, 'events'),
  (1, 10, 2, 0, 1, 'events'),
  (2, 20, 0, 0, 0, 'bison_stats'),
  (6, 100, 3, 0, 0, 'events'),
  (7, 1000, 4, 0, 0, 'events'),
  (29, 10000, 5, 0, 0, 'bison_stats_and_events'),
  (30, 100000, 6, 0, 0, 'events')
) v(ago, emails_sent, replies, interested, bounces, source);
insert into public.workspace_daily_metrics
  (workspace_id, day, emails_sent, replies, interested, bounces, opens, source)
select 901201, f.day, f.emails_sent, f.replies, f.interested, f.bounces, 2 * f.emails_sent, f.source
from fixture f;

select isnt((select today from local), current_date,
  'the workspace''s local date differs from UTC''s now (the test checks local days)');

select results_eq(
  $$select period, period_start, period_end_exclusive, timezone
    from public.workspace_kpis where workspace_id = 901201 and period <> 'month_to_date'
    order by period$$,
  $$select p, s, e, l.zone from local l, lateral (values
      ('last_30_days', l.today - 29, l.today + 1),
      ('last_7_days', l.today - 6, l.today + 1),
      ('today', l.today, l.today + 1),
      ('yesterday', l.today - 1, l.today)) v(p, s, e)
    order by p$$,
  'each period''s bounds are local days of the workspace''s zone, half-open, today included');

select results_eq(
  $$select period, emails_sent::int, replies::int, interested::int, bounces::int, opens::int,
           days_from_bison_stats
    from public.workspace_kpis where workspace_id = 901201 and period <> 'month_to_date'
    order by period$$,
  $$values ('last_30_days', 11131, 15, 1, 1, 22262, 2),
           ('last_7_days', 131, 6, 1, 1, 262, 1),
           ('today', 1, 1, 1, 0, 2, 0),
           ('yesterday', 10, 2, 0, 1, 20, 0)$$,
  'sums of the period''s day rows only; Bison''s days counted in days_from_bison_stats');

select results_eq(
  $$select period, reply_rate_pct, interested_rate_pct, bounce_rate_pct
    from public.workspace_kpis where workspace_id = 901201 and period <> 'month_to_date'
    order by period$$,
  $$values ('last_30_days', 0.13, 0.01, 0.01),
           ('last_7_days', 4.58, 0.76, 0.76),
           ('today', 100.00, 100.00, 0.00),
           ('yesterday', 20.00, 0.00, 10.00)$$,
  'rates are percentages of emails sent, 2 decimals');

select results_eq(
  $$select period_start, period_end_exclusive, emails_sent::int, days_from_bison_stats
    from public.workspace_kpis where workspace_id = 901201 and period = 'month_to_date'$$,
  $$select date_trunc('month', l.today)::date, l.today + 1,
           (select sum(f.emails_sent)::int from fixture f
            where f.day >= date_trunc('month', l.today)::date and f.day <= l.today),
           (select count(*)::int from fixture f
            where f.day >= date_trunc('month', l.today)::date and f.day <= l.today
              and f.source <> 'events')
    from local l$$,
  'the month to date runs from the first of the local month through today');

select results_eq(
  $$select emails_sent::int, days_from_bison_stats::int from public.workspace_month_to_date
    where workspace_id = 901201$$,
  $$select emails_sent::int, days_from_bison_stats from public.workspace_kpis
    where workspace_id = 901201 and period = 'month_to_date'$$,
  'and agrees with public.workspace_month_to_date');

select results_eq(
  $$select period, emails_sent::int, replies::int, reply_rate_pct, timezone
    from public.workspace_kpis where workspace_id = 901202 order by period$$,
  $$values ('last_30_days', 0, 0, null::numeric, 'UTC'),
           ('last_7_days', 0, 0, null, 'UTC'),
           ('month_to_date', 0, 0, null, 'UTC'),
           ('today', 0, 0, null, 'UTC'),
           ('yesterday', 0, 0, null, 'UTC')$$,
  'a workspace without day rows has five periods of zeros, rates null, in its connection''s zone');

select is((select count(*)::int from public.workspace_kpis where workspace_id = 901201), 5,
  'one row per period');

-- The view reads the definitions: the bounds are private.reporting_period's.
select results_eq(
  $$select period_start, period_end_exclusive from public.workspace_kpis
    where workspace_id = 901201 and period = 'last_30_days'$$,
  $$select start, end_exclusive from private.reporting_period(901201, 30)$$,
  'the bounds come from private.reporting_period');

select * from finish();
rollback;
