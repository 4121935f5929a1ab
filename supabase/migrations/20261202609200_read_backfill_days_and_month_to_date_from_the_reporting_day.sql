-- The backfill window, the boundary day waiting to be settled and the month to date each worked
-- out a workspace's local day for themselves (the instant at time zone its reporting zone). They
-- now read the one definition of the reporting day: private.local_day for an instant's day,
-- private.reporting_period for today and the zone. Same results; one place to change.
create or replace function private.backfill_window(
  target_workspace_id bigint,
  earlier_days integer default null,
  at timestamptz default now()
)
returns table (first_day date, boundary_day date)
language sql
stable
set search_path = ''
as $$
  select (date_trunc('month', local.today) - make_interval(days => coalesce(earlier_days,
            private.setting_numeric('backfill_earlier_days', 30)::integer)))::date,
         local.today
  from (select private.local_day(target_workspace_id, at) as today) local;
$$;

create or replace function private.backfill_boundary_to_settle(target_workspace_id bigint)
returns date
language sql
stable
set search_path = ''
as $$
  select b.boundary_day from private.workspace_backfills b
  where b.workspace_id = target_workspace_id and b.settled_at is null
    and b.boundary_day < private.local_day(b.workspace_id, now());
$$;

-- Security invoker as before: private.reporting_period reads the zone under the caller's row level
-- security, like the view's own rows.
create or replace view public.workspace_month_to_date
with (security_invoker = true)
as
select
  w.id as workspace_id,
  local.month_start,
  local.today,
  local.days_in_month,
  round(local.elapsed_days, 4) as elapsed_days,
  coalesce(sum(m.emails_sent), 0) as emails_sent,
  coalesce(sum(m.replies), 0) as replies,
  coalesce(sum(m.interested), 0) as interested,
  coalesce(sum(m.bounces), 0) as bounces,
  coalesce(sum(m.unsubscribes), 0) as unsubscribes,
  count(m.day) filter (where m.source <> 'events') as days_from_bison_stats,
  round(coalesce(sum(m.emails_sent), 0) * local.days_in_month / local.elapsed_days)
    as projected_emails_sent
from public.workspaces w
cross join lateral private.reporting_period(w.id, 1) period
cross join lateral (select date_trunc('month', period.today::timestamp)::date as month_start) month
cross join lateral (
  select
    month.month_start,
    period.today,
    extract(day from month.month_start + interval '1 month - 1 day')::integer as days_in_month,
    -- At least an hour, so the first minutes of a month do not project absurd totals.
    greatest(extract(epoch from now() - month.month_start::timestamp at time zone period.timezone)
             / 86400, 1.0 / 24) as elapsed_days
) local
left join public.workspace_daily_metrics m
  on m.workspace_id = w.id and m.day >= local.month_start and m.day <= local.today
group by w.id, local.month_start, local.today, local.days_in_month, local.elapsed_days;
