-- Month to date and pacing per workspace, right from the first hour after onboarding: the
-- backfilled days (Bison's daily series) and the days counted from events are the same day rows.
-- Security invoker, so RLS on workspaces and workspace_daily_metrics decides what a caller sees.
-- The month and today are the workspace's local ones; the projection assumes the rest of the
-- month sends at the pace of the month so far.
create view public.workspace_month_to_date
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
cross join lateral (
  select (now() at time zone private.visible_workspace_timezone(w.id)) as local_now
) clock
cross join lateral (
  select
    date_trunc('month', clock.local_now)::date as month_start,
    clock.local_now::date as today,
    extract(day from date_trunc('month', clock.local_now) + interval '1 month - 1 day')::integer
      as days_in_month,
    -- At least an hour, so the first minutes of a month do not project absurd totals.
    greatest(extract(epoch from clock.local_now - date_trunc('month', clock.local_now)) / 86400,
             1.0 / 24) as elapsed_days
) local
left join public.workspace_daily_metrics m
  on m.workspace_id = w.id and m.day >= local.month_start and m.day <= local.today
group by w.id, local.month_start, local.today, local.days_in_month, local.elapsed_days;

comment on view public.workspace_month_to_date is
  'Per workspace, its local month so far: emails sent, replies, interested, bounces and '
  'unsubscribes (backfilled and event-counted days alike), how many of those days carry Bison''s '
  'own numbers, and projected_emails_sent, the month''s sends at the pace so far. Security '
  'invoker: members see their workspaces.';

revoke all on public.workspace_month_to_date from anon, authenticated;
grant select on public.workspace_month_to_date to authenticated, service_role;
