-- Dashboards show each workspace's numbers for today, yesterday, the last 7 and 30 days and the
-- month to date. The periods are the reporting periods of the workspace (private.reporting_period:
-- local days in its reporting zone, half-open, today so far included) and the numbers are the sums
-- of its day rows, rates as percentages (private.percent_of), so no client works out a day
-- boundary or a rate for itself.
create or replace function private.workspace_kpi_periods(target_workspace_id bigint)
returns table (period text, start date, end_exclusive date, today date, timezone text)
language plpgsql
stable
set search_path = ''
as $$
declare
  local_today date := (select p.today from private.reporting_period(target_workspace_id, 1) p);
  month_days integer := local_today - date_trunc('month', local_today::timestamp)::date + 1;
begin
  return query
  select 'today', p.* from private.reporting_period(target_workspace_id, 1) p
  union all
  select 'yesterday', p.* from private.reporting_period(target_workspace_id, 1, local_today) p
  union all
  select 'last_7_days', p.* from private.reporting_period(target_workspace_id, 7) p
  union all
  select 'last_30_days', p.* from private.reporting_period(target_workspace_id, 30) p
  union all
  select 'month_to_date', p.* from private.reporting_period(target_workspace_id, month_days) p;
end;
$$;
comment on function private.workspace_kpi_periods(bigint) is
  'The five periods public.workspace_kpis reports for a workspace, each from '
  'private.reporting_period: today; yesterday (the day before today); last_7_days and '
  'last_30_days (ending with today, today included); month_to_date (the first of the local month '
  'to today, today included). Rows (period, start, end_exclusive, today, timezone). Security '
  'invoker: a workspace the caller cannot read gets UTC periods, so callers start from the rows '
  'the caller may read.';
grant execute on function private.workspace_kpi_periods(bigint) to authenticated, service_role;

create view public.workspace_kpis
with (security_invoker = true)
as
select
  w.id as workspace_id,
  p.period,
  p.start as period_start,
  p.end_exclusive as period_end_exclusive,
  p.timezone,
  coalesce(sum(m.emails_sent), 0) as emails_sent,
  coalesce(sum(m.first_contacts), 0) as first_contacts,
  coalesce(sum(m.opens), 0) as opens,
  coalesce(sum(m.replies), 0) as replies,
  coalesce(sum(m.interested), 0) as interested,
  coalesce(sum(m.bounces), 0) as bounces,
  coalesce(sum(m.unsubscribes), 0) as unsubscribes,
  private.percent_of(sum(m.replies), sum(m.emails_sent)) as reply_rate_pct,
  private.percent_of(sum(m.interested), sum(m.emails_sent)) as interested_rate_pct,
  private.percent_of(sum(m.bounces), sum(m.emails_sent)) as bounce_rate_pct,
  count(m.day) filter (where m.source <> 'events')::integer as days_from_bison_stats
from public.workspaces w
cross join lateral private.workspace_kpi_periods(w.id) p
left join public.workspace_daily_metrics m
  on m.workspace_id = w.id and m.day >= p.start and m.day < p.end_exclusive
group by w.id, p.period, p.start, p.end_exclusive, p.timezone;

comment on view public.workspace_kpis is
  'A workspace''s headline numbers, five rows per workspace you may read (members: their '
  'workspaces; agency admins: all), one per period: today, yesterday, last_7_days, last_30_days, '
  'month_to_date. Days are local days in the workspace''s time zone and today so far is included '
  'where the period reaches today. Filter with workspace_id=eq.<id> (and period=eq.today for one '
  'row). Counts are sums of public.workspace_daily_metrics; rates are percentages of emails '
  'sent (1.25 means 1.25 %), null when nothing was sent. Live updates: subscribe to '
  'workspace:<id>:metrics (metrics_updated) and read again.';
comment on column public.workspace_kpis.workspace_id is 'The workspace (public.workspaces.id).';
comment on column public.workspace_kpis.period is
  'today, yesterday, last_7_days, last_30_days or month_to_date.';
comment on column public.workspace_kpis.period_start is
  'First local day of the period (included).';
comment on column public.workspace_kpis.period_end_exclusive is
  'The local day after the period''s last day (excluded): tomorrow for periods ending today.';
comment on column public.workspace_kpis.timezone is
  'The workspace''s reporting time zone (IANA name) the days are counted in.';
comment on column public.workspace_kpis.emails_sent is 'Campaign emails sent in the period.';
comment on column public.workspace_kpis.first_contacts is
  'Contacts emailed for the first time in the period.';
comment on column public.workspace_kpis.opens is
  'Tracked opens in the period (only campaigns with open tracking count).';
comment on column public.workspace_kpis.replies is
  'Replies to campaign emails received in the period (auto-replies excluded by Email Bison).';
comment on column public.workspace_kpis.interested is
  'Replies that became interested in the period (counted on the day they were marked).';
comment on column public.workspace_kpis.bounces is 'Campaign emails that bounced in the period.';
comment on column public.workspace_kpis.unsubscribes is 'Leads who unsubscribed in the period.';
comment on column public.workspace_kpis.reply_rate_pct is
  'replies as a percentage of emails_sent (2 decimals); null when emails_sent is 0.';
comment on column public.workspace_kpis.interested_rate_pct is
  'interested as a percentage of emails_sent (2 decimals); null when emails_sent is 0.';
comment on column public.workspace_kpis.bounce_rate_pct is
  'bounces as a percentage of emails_sent (2 decimals); null when emails_sent is 0.';
comment on column public.workspace_kpis.days_from_bison_stats is
  'How many of the period''s days carry Email Bison''s own numbers (history backfilled at '
  'onboarding) rather than counts of webhook events; 0 for a period the mirror counted itself.';

revoke all on public.workspace_kpis from anon, authenticated, service_role;
grant select on public.workspace_kpis to authenticated, service_role;
