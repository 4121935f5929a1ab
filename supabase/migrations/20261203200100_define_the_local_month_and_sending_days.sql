-- Targets are monthly and agencies send on working days, so pacing needs each workspace's local
-- month as a calendar: its bounds, how much of it has passed, and how many of its days are sending
-- days (configurable per workspace, Monday to Friday unless an admin says otherwise). The month to
-- date was a view doing that arithmetic inline for five counters; it now reads one definition of
-- the local month (private.local_month) and sums every counter of the day rows
-- (private.month_counters), and its projection is the one pacing uses
-- (private.projected_month_end), so a dashboard never shows two different "projected month end"
-- numbers. Pacing, milestones and the digest read the month to date from this view.
alter table public.workspaces
  add column sending_weekdays integer[] not null default '{1,2,3,4,5}'
    constraint workspaces_sending_weekdays_check
    check (cardinality(sending_weekdays) between 1 and 7
           and sending_weekdays <@ '{1,2,3,4,5,6,7}'::integer[]);
comment on column public.workspaces.sending_weekdays is
  'The weekdays this client sends on (ISO: 1 = Monday ... 7 = Sunday), Monday to Friday by '
  'default. Pacing expects a month''s target to be reached over these days. Set by agency admins '
  'with public.set_workspace_sending_days.';

create or replace function private.daily_counters()
returns text[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(a.attname::text order by a.attnum), '{}')
  from pg_catalog.pg_attribute a
  where a.attrelid = 'public.workspace_daily_metrics'::regclass
    and a.attnum > 0 and not a.attisdropped and a.atttypid = 'integer'::regtype;
$$;
comment on function private.daily_counters() is
  'The counters of a workspace''s day row: the integer columns of public.workspace_daily_metrics '
  '(emails_sent, replies, interested, ...). A counter added to that table is one more here, with '
  'nothing else to change.';

create or replace function private.local_month(
  target_workspace_id bigint,
  at timestamptz default now()
)
returns table (
  month_start date,
  month_end_exclusive date,
  today date,
  days_in_month integer,
  elapsed_days numeric,
  sending_days_total integer,
  sending_days_elapsed numeric,
  timezone text
)
language plpgsql
stable
rows 1
set search_path = ''
as $$
declare
  zone text := private.workspace_timezone(target_workspace_id);
  weekdays integer[] := (select w.sending_weekdays from public.workspaces w
                         where w.id = target_workspace_id);
  local_today date := private.local_day(target_workspace_id, at);
  first_day date;
  next_first_day date;
  today_start timestamptz;
  today_share numeric;
begin
  if zone is null or weekdays is null or local_today is null then
    return;
  end if;
  first_day := date_trunc('month', local_today::timestamp)::date;
  next_first_day := (first_day + interval '1 month')::date;
  today_start := local_today::timestamp at time zone zone;
  -- The share of today that has passed, against the local day's real length (23 or 25 hours
  -- when the clocks change).
  today_share := extract(epoch from at - today_start)
    / extract(epoch from (local_today + 1)::timestamp at time zone zone - today_start);
  return query
  select first_day, next_first_day, local_today, next_first_day - first_day,
    -- At least an hour, so the first minutes of a month do not project absurd totals.
    round(greatest(extract(epoch from at - first_day::timestamp at time zone zone) / 86400,
                   1.0 / 24), 4),
    (count(*) filter (where d.sending))::integer,
    round(count(*) filter (where d.sending and d.day < local_today)
          + case when extract(isodow from local_today)::integer = any (weekdays)
                 then least(greatest(today_share, 0), 1) else 0 end, 4),
    zone
  from (
    select s.day::date as day, extract(isodow from s.day)::integer = any (weekdays) as sending
    from generate_series(first_day, next_first_day - 1, interval '1 day') s(day)
  ) d;
end;
$$;
comment on function private.local_month(bigint, timestamptz) is
  'The local month of a workspace at an instant (default now), in its reporting zone: '
  'month_start, month_end_exclusive, today (private.local_day), days_in_month, elapsed_days '
  '(calendar days since local midnight of the 1st, at least an hour), sending_days_total (days '
  'of the month on the workspace''s sending_weekdays) and sending_days_elapsed (sending days '
  'before today, plus the share of today that has passed when today is one), and the zone. '
  'Security invoker: no row for a workspace the caller cannot read.';

create or replace function private.month_counters(
  target_workspace_id bigint,
  first_day date,
  last_day date
)
returns table (counters jsonb, days_from_bison_stats bigint)
language plpgsql
stable
rows 1
set search_path = ''
as $$
declare
  names text[] := private.daily_counters();
begin
  -- plpgsql keeps its plan for the session: milestones read this with every event that counts.
  return query
  with days as materialized (
    select to_jsonb(m) as day_row, m.source
    from public.workspace_daily_metrics m
    where m.workspace_id = target_workspace_id and m.day >= first_day and m.day <= last_day
  )
  select
    (select jsonb_object_agg(c.name,
              (select coalesce(sum((d.day_row ->> c.name)::bigint), 0) from days d))
     from unnest(names) c(name)),
    (select count(*) from days d where d.source <> 'events');
end;
$$;
comment on function private.month_counters(bigint, date, date) is
  'The sum of every day counter (private.daily_counters) of a workspace over its day rows from '
  'first_day to last_day included, as jsonb, and how many of those days carry Bison''s own '
  'numbers. Security invoker: row level security decides. public.workspace_month_to_date is its '
  'one caller for the month to date.';

create or replace function private.projected_month_end(
  actual numeric,
  sending_days_elapsed numeric,
  sending_days_total numeric
)
returns numeric
language sql
immutable
set search_path = ''
as $$
  -- At least an hour of sending, so the first minutes of a month do not project absurd totals.
  select case when sending_days_elapsed > 0 and sending_days_total > 0
    then round(actual * sending_days_total / greatest(sending_days_elapsed, 1.0 / 24)) end;
$$;
comment on function private.projected_month_end(numeric, numeric, numeric) is
  'The month''s total at the pace so far: actual x sending days in the month / sending days '
  'elapsed (at least an hour''s worth), a whole number; null before the month''s first sending '
  'day has begun (no pace yet).';

-- Same columns as before, in the same order, then the new ones. Pacing, milestones and the
-- digest read the month to date from here.
create or replace view public.workspace_month_to_date
with (security_invoker = true)
as
select
  w.id as workspace_id,
  lm.month_start,
  lm.today,
  lm.days_in_month,
  lm.elapsed_days,
  (mc.counters ->> 'emails_sent')::bigint as emails_sent,
  (mc.counters ->> 'replies')::bigint as replies,
  (mc.counters ->> 'interested')::bigint as interested,
  (mc.counters ->> 'bounces')::bigint as bounces,
  (mc.counters ->> 'unsubscribes')::bigint as unsubscribes,
  mc.days_from_bison_stats,
  private.projected_month_end((mc.counters ->> 'emails_sent')::numeric,
    lm.sending_days_elapsed, lm.sending_days_total) as projected_emails_sent,
  (mc.counters ->> 'first_contacts')::bigint as first_contacts,
  (mc.counters ->> 'opens')::bigint as opens,
  (mc.counters ->> 'manual_emails_sent')::bigint as manual_emails_sent,
  (mc.counters ->> 'untracked_replies')::bigint as untracked_replies,
  lm.month_end_exclusive,
  lm.sending_days_total,
  lm.sending_days_elapsed,
  lm.timezone,
  mc.counters
from public.workspaces w
cross join lateral private.local_month(w.id) lm
cross join lateral private.month_counters(w.id, lm.month_start, lm.today) mc;

comment on view public.workspace_month_to_date is
  'Per workspace, its local month so far (private.local_month): the sum of every day counter '
  '(backfilled and event-counted days alike; all of them in counters), how many of those days '
  'carry Bison''s own numbers, the month''s sending days (total, and elapsed including the share '
  'of today) and projected_emails_sent, the month''s sends at the pace so far '
  '(private.projected_month_end; null before the first sending day). Security invoker: members '
  'see their workspaces.';

-- Column by column, for docs/data-model.md and the generated types (what a frontend reads).
comment on column public.workspace_month_to_date.workspace_id is 'The workspace.';
comment on column public.workspace_month_to_date.month_start is
  'The first day of the current local month.';
comment on column public.workspace_month_to_date.today is 'Today, in the workspace''s time zone.';
comment on column public.workspace_month_to_date.days_in_month is
  'How many days the current month has.';
comment on column public.workspace_month_to_date.elapsed_days is
  'Calendar days of the month elapsed so far, with fractions (at least an hour).';
comment on column public.workspace_month_to_date.emails_sent is 'Emails sent this month so far.';
comment on column public.workspace_month_to_date.replies is 'Replies this month so far.';
comment on column public.workspace_month_to_date.interested is
  'Replies that became interested this month so far.';
comment on column public.workspace_month_to_date.bounces is 'Bounces this month so far.';
comment on column public.workspace_month_to_date.unsubscribes is 'Unsubscribes this month so far.';
comment on column public.workspace_month_to_date.days_from_bison_stats is
  'How many of the month''s days carry Email Bison''s own numbers (backfilled history).';
comment on column public.workspace_month_to_date.projected_emails_sent is
  'The month''s emails at the pace so far: emails_sent x sending_days_total / '
  'sending_days_elapsed (at least an hour of sending), a whole number; null before the month''s '
  'first sending day has begun.';
comment on column public.workspace_month_to_date.first_contacts is
  'Contacts emailed for the first time this month so far.';
comment on column public.workspace_month_to_date.opens is 'Tracked opens this month so far.';
comment on column public.workspace_month_to_date.manual_emails_sent is
  'One-off emails sent from the inbox or API this month so far.';
comment on column public.workspace_month_to_date.untracked_replies is
  'Inbound emails not tied to a campaign email this month so far.';
comment on column public.workspace_month_to_date.month_end_exclusive is
  'The first day of the next local month.';
comment on column public.workspace_month_to_date.sending_days_total is
  'Days of this month on the workspace''s sending weekdays.';
comment on column public.workspace_month_to_date.sending_days_elapsed is
  'Sending days of this month before today, plus the share of today that has passed when today is '
  'one (4 decimals).';
comment on column public.workspace_month_to_date.timezone is
  'The workspace''s time zone (IANA name) its days are counted in.';
comment on column public.workspace_month_to_date.counters is
  'Every day counter''s month to date as {counter: count} (the named columns and any other).';

-- Who may change what pacing is measured against: agency admins, and the service_role database
-- role (server code). The role the caller really has, never a claim in a token.
create or replace function private.require_target_manager()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not (private.is_agency_admin() or current_setting('role', true) = 'service_role') then
    raise exception 'only agency admins set targets and sending days' using errcode = '42501';
  end if;
end;
$$;
comment on function private.require_target_manager() is
  'Raises 42501 unless the caller may set targets and sending days: an agency admin (auth.uid() '
  'in public.agency_admins) or a session whose database role is service_role (never decided by a '
  'JWT claim). Reads the role the session set, so it holds inside security definer functions.';

create or replace function private.set_workspace_sending_days(
  target_workspace_id bigint,
  weekdays integer[]
)
returns integer[]
language plpgsql
set search_path = ''
as $$
declare
  days integer[] := array(select distinct d from unnest(weekdays) d order by d);
  stored integer[];
begin
  if weekdays is null or cardinality(days) = 0 or array_position(days, null) is not null
     or not (days <@ '{1,2,3,4,5,6,7}'::integer[]) then
    raise exception 'sending days are ISO weekdays from 1 (Monday) to 7 (Sunday), at least one, '
      'got %', coalesce(weekdays::text, 'null') using errcode = '22023';
  end if;
  update public.workspaces w set sending_weekdays = days, updated_at = now()
  where w.id = target_workspace_id
  returning w.sending_weekdays into stored;
  if stored is null then
    raise exception 'no workspace %', coalesce(target_workspace_id::text, 'null')
      using errcode = '22023';
  end if;
  return stored;
end;
$$;
comment on function private.set_workspace_sending_days(bigint, integer[]) is
  'Sets the weekdays a workspace sends on (ISO: 1 = Monday ... 7 = Sunday; duplicates dropped) '
  'and returns them sorted; 22023 for an empty list, a day outside 1..7 or an unknown workspace. '
  'No access check: public.set_workspace_sending_days checks the caller; the admin CLI calls it '
  'as the owner.';

create or replace function public.set_workspace_sending_days(
  workspace_id bigint,
  weekdays integer[]
)
returns integer[]
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_target_manager();
  return private.set_workspace_sending_days(workspace_id, weekdays);
end;
$$;
comment on function public.set_workspace_sending_days(bigint, integer[]) is
  'Sets the weekdays a workspace sends on (ISO: 1 = Monday ... 7 = Sunday; duplicates dropped) '
  'and returns them sorted. Agency admins and service_role only (42501 otherwise); 22023 for an '
  'empty list, a day outside 1..7 or an unknown workspace.';

revoke all on function public.set_workspace_sending_days(bigint, integer[])
  from public, anon, authenticated;
grant execute on function public.set_workspace_sending_days(bigint, integer[])
  to authenticated, service_role;
grant execute on function private.daily_counters(), private.local_month(bigint, timestamptz),
  private.month_counters(bigint, date, date),
  private.projected_month_end(numeric, numeric, numeric)
  to authenticated, service_role;
