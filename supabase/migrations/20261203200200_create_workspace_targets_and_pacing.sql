-- Agencies run on monthly targets per client (interested leads first, then emails sent and
-- replies). A target is set for one local month of one workspace and one day counter, by an agency
-- admin; every month keeps its own row, so past months stay as they were. Pacing compares the
-- month to date with the target spread evenly over the month's sending days: expected so far,
-- projected month end at the current pace, and a status whose thresholds live in settings.
insert into private.settings (key, value, description) values
  ('pacing_ahead_from_pct', '110',
   'A target is ahead when its month to date is at least this percentage of what was expected by '
   'now (the target spread evenly over the month''s sending days).'),
  ('pacing_on_track_from_pct', '95',
   'A target is on track when its month to date is at least this percentage of what was expected '
   'by now (and not ahead).'),
  ('pacing_behind_from_pct', '75',
   'A target is behind when its month to date is at least this percentage of what was expected '
   'by now (and not on track); below it, at risk.')
on conflict (key) do nothing;

create table public.workspace_targets (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  month date not null constraint workspace_targets_month_check check (extract(day from month) = 1),
  metric text not null,
  target numeric not null constraint workspace_targets_target_check
    check (target > 0 and target <> 'NaN'::numeric and target <> 'Infinity'::numeric),
  set_by uuid references auth.users (id) on delete set null,
  set_at timestamptz not null default now(),
  unique (workspace_id, month, metric)
);
comment on table public.workspace_targets is
  'Monthly targets per workspace: month is the first day of the workspace''s local month, metric '
  'a day counter of workspace_daily_metrics (interested, emails_sent, replies, ...; '
  'private.daily_counters), target the count to reach in that month. One row per workspace, '
  'month and metric; other months'' rows are the history. Written only through '
  'public.set_workspace_target (agency admins); members read their workspaces'' targets.';
comment on column public.workspace_targets.id is 'Identifies the target row.';
comment on column public.workspace_targets.workspace_id is 'The workspace (client).';
comment on column public.workspace_targets.month is
  'The first day of the local month the target is for.';
comment on column public.workspace_targets.metric is
  'The day counter to reach: interested, emails_sent, replies, or another counter of '
  'workspace_daily_metrics.';
comment on column public.workspace_targets.target is 'The count to reach in the month (above 0).';
comment on column public.workspace_targets.set_by is
  'The agency admin who set it last; null when set by server code or the admin CLI.';
comment on column public.workspace_targets.set_at is 'When it was last set.';

alter table public.workspace_targets enable row level security;
create policy "members read their workspaces' targets" on public.workspace_targets
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
revoke all on public.workspace_targets from anon, authenticated, service_role;
grant select on public.workspace_targets to authenticated, service_role;

create or replace function private.pacing_rule()
returns table (ahead_from_pct numeric, on_track_from_pct numeric, behind_from_pct numeric)
language plpgsql
stable
rows 1
security definer
set search_path = ''
as $$
declare
  ahead numeric := private.setting_numeric('pacing_ahead_from_pct', null);
  on_track numeric := private.setting_numeric('pacing_on_track_from_pct', null);
  behind numeric := private.setting_numeric('pacing_behind_from_pct', null);
begin
  if not (ahead > on_track and on_track > behind and behind > 0) or ahead is null
     or on_track is null or behind is null then
    raise exception 'settings pacing_ahead_from_pct > pacing_on_track_from_pct > '
      'pacing_behind_from_pct > 0 must be numbers in that order' using errcode = '55000';
  end if;
  return query select ahead, on_track, behind;
end;
$$;
comment on function private.pacing_rule() is
  'The pacing thresholds from private.settings (pacing_ahead_from_pct, pacing_on_track_from_pct, '
  'pacing_behind_from_pct), validated: raises 55000 unless they are numbers in decreasing order '
  'above 0. Read it once per query and hand its columns to private.pace. Security definer so '
  'that views running as a member can read these settings (and nothing else of them).';

create or replace function private.pace(
  actual numeric,
  target numeric,
  sending_days_elapsed numeric,
  sending_days_total numeric,
  ahead_from_pct numeric,
  on_track_from_pct numeric,
  behind_from_pct numeric
)
returns table (
  expected_so_far numeric,
  projected_month_end numeric,
  of_target_pct numeric,
  pace_pct numeric,
  pacing_status text
)
language sql
immutable
rows 1
set search_path = ''
as $$
  select round(expected.value, 2),
    private.projected_month_end(actual, sending_days_elapsed, sending_days_total),
    private.percent_of(actual, target),
    private.percent_of(actual, expected.value),
    case
      -- Nothing was expected yet (the month's first sending day has not begun).
      when coalesce(expected.value, 0) = 0 then 'on_track'
      when private.percent_of(actual, expected.value) >= ahead_from_pct then 'ahead'
      when private.percent_of(actual, expected.value) >= on_track_from_pct then 'on_track'
      when private.percent_of(actual, expected.value) >= behind_from_pct then 'behind'
      else 'at_risk'
    end
  from (select case when sending_days_total > 0
                 then target * sending_days_elapsed / sending_days_total end as value) expected;
$$;
comment on function private.pace(numeric, numeric, numeric, numeric, numeric, numeric, numeric) is
  'The definition of pacing against a monthly target: expected_so_far = target x sending days '
  'elapsed / sending days in the month (2 decimals); projected_month_end at the pace so far '
  '(private.projected_month_end); of_target_pct = actual as a percentage of target; pace_pct = '
  'actual as a percentage of expected_so_far (the same as projected_month_end of target); '
  'pacing_status ahead, on_track, behind or at_risk by the thresholds of private.pacing_rule '
  '(on_track while nothing is expected yet).';

-- Each workspace's month to date is worked out once, then paired with its targets: the targets
-- are a lateral subquery kept apart (offset 0) so that the planner cannot work the month out
-- again per target. workspace_id comes from the month to date, so a filter on it reaches the
-- workspace before anything is worked out.
create or replace view public.workspace_pacing
with (security_invoker = true)
as
select
  mtd.workspace_id,
  t.month,
  t.metric,
  t.target,
  (mtd.counters ->> t.metric)::bigint as actual_mtd,
  p.expected_so_far,
  p.projected_month_end,
  p.of_target_pct,
  mtd.sending_days_elapsed,
  mtd.sending_days_total,
  p.pacing_status,
  p.pace_pct,
  mtd.today,
  mtd.timezone,
  t.set_by,
  t.set_at
from public.workspace_month_to_date mtd
cross join lateral (
  select t.month, t.metric, t.target, t.set_by, t.set_at from public.workspace_targets t
  where t.workspace_id = mtd.workspace_id and t.month = mtd.month_start
  offset 0
) t
cross join private.pacing_rule() r
cross join lateral private.pace((mtd.counters ->> t.metric)::numeric, t.target,
  mtd.sending_days_elapsed, mtd.sending_days_total,
  r.ahead_from_pct, r.on_track_from_pct, r.behind_from_pct) p
where exists (select 1 from public.workspace_targets any_target
              where any_target.workspace_id = mtd.workspace_id);
comment on view public.workspace_pacing is
  'Per visible workspace and metric with a target for its current local month: the target, '
  'actual_mtd (public.workspace_month_to_date''s count), expected_so_far, projected_month_end, '
  'of_target_pct, pace_pct and pacing_status (private.pace, thresholds in private.settings), '
  'with the month''s sending days (total, and elapsed including the share of today) in the '
  'workspace''s zone. Security invoker: members see their workspaces.';
comment on column public.workspace_pacing.workspace_id is 'The workspace (client).';
comment on column public.workspace_pacing.month is 'The first day of the current local month.';
comment on column public.workspace_pacing.metric is 'The day counter the target counts.';
comment on column public.workspace_pacing.target is 'The count to reach this month.';
comment on column public.workspace_pacing.actual_mtd is 'The count this month so far.';
comment on column public.workspace_pacing.expected_so_far is
  'What should be reached by now: target x sending_days_elapsed / sending_days_total (2 '
  'decimals).';
comment on column public.workspace_pacing.projected_month_end is
  'The month''s count at the pace so far, a whole number; null before the month''s first sending '
  'day has begun.';
comment on column public.workspace_pacing.of_target_pct is
  'actual_mtd as a percentage of target (40 = 40 %).';
comment on column public.workspace_pacing.sending_days_elapsed is
  'Sending days of the month before today, plus the share of today that has passed when today is '
  'one.';
comment on column public.workspace_pacing.sending_days_total is 'Sending days in the month.';
comment on column public.workspace_pacing.pacing_status is
  'ahead, on_track, behind or at_risk, by pace_pct against the thresholds in settings '
  '(pacing_ahead_from_pct 110, pacing_on_track_from_pct 95, pacing_behind_from_pct 75); on_track '
  'while nothing is expected yet.';
comment on column public.workspace_pacing.pace_pct is
  'actual_mtd as a percentage of expected_so_far (= projected_month_end as a percentage of '
  'target); null while nothing is expected yet.';
comment on column public.workspace_pacing.today is 'Today, in the workspace''s time zone.';
comment on column public.workspace_pacing.timezone is 'The workspace''s time zone (IANA name).';
comment on column public.workspace_pacing.set_by is
  'The agency admin who set the target; null when set by server code or the admin CLI.';
comment on column public.workspace_pacing.set_at is 'When the target was last set.';
revoke all on public.workspace_pacing from anon, authenticated, service_role;
grant select on public.workspace_pacing to authenticated, service_role;

create or replace function private.set_workspace_target(
  target_workspace_id bigint,
  target_metric text,
  target_value numeric,
  target_month date,
  setter uuid
)
returns public.workspace_targets
language plpgsql
set search_path = ''
as $$
declare
  local_today date := private.local_day(target_workspace_id, now());
  stored public.workspace_targets;
begin
  if local_today is null then
    raise exception 'no workspace %', coalesce(target_workspace_id::text, 'null')
      using errcode = '22023';
  end if;
  if target_metric is null or not (target_metric = any (private.daily_counters())) then
    raise exception 'unknown metric %: a target counts one of %', coalesce(target_metric, 'null'),
      array_to_string(private.daily_counters(), ', ') using errcode = '22023';
  end if;
  if target_value is null or not (target_value > 0) or target_value in ('NaN', 'Infinity') then
    raise exception 'a target is a number above 0, got %', coalesce(target_value::text, 'null')
      using errcode = '22023';
  end if;
  insert into public.workspace_targets as t (workspace_id, month, metric, target, set_by, set_at)
  values (target_workspace_id,
          date_trunc('month', coalesce(target_month, local_today)::timestamp)::date,
          target_metric, target_value, setter, now())
  on conflict (workspace_id, month, metric) do update
    set target = excluded.target, set_by = excluded.set_by, set_at = excluded.set_at
  returning t.* into stored;
  return stored;
end;
$$;
comment on function private.set_workspace_target(bigint, text, numeric, date, uuid) is
  'Sets (or replaces) the target of a workspace for a local month (any day of it; default the '
  'current local month) and a day counter, recorded as set by setter; returns the row. 22023 for '
  'an unknown workspace or metric or a target that is not a number above 0. No access check: '
  'public.set_workspace_target checks the caller; the admin CLI calls it as the owner.';

create or replace function public.set_workspace_target(
  workspace_id bigint,
  metric text,
  target numeric,
  month date default null
)
returns public.workspace_targets
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_target_manager();
  return private.set_workspace_target(workspace_id, metric, target, month, (select auth.uid()));
end;
$$;
comment on function public.set_workspace_target(bigint, text, numeric, date) is
  'Sets a workspace''s target for a local month (default the current one; any day of the month '
  'may be given) and a day counter (interested, emails_sent, replies, ...), replacing that '
  'month''s previous value; returns the public.workspace_targets row. Agency admins and '
  'service_role only (42501 otherwise); 22023 for an unknown workspace or metric or a target '
  'that is not a number above 0.';

revoke all on function public.set_workspace_target(bigint, text, numeric, date)
  from public, anon, authenticated;
grant execute on function public.set_workspace_target(bigint, text, numeric, date)
  to authenticated, service_role;
grant execute on function private.pacing_rule(),
  private.pace(numeric, numeric, numeric, numeric, numeric, numeric, numeric)
  to authenticated, service_role;
