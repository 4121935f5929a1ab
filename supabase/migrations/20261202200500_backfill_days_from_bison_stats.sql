-- Day one is not empty: onboarding backfills each workspace's month to date (and earlier days)
-- from Bison's daily series (line-area-chart-stats) into the same day rows that events count
-- into, marked with where their numbers come from:
--   events                  counted from webhook events (every day after the boundary day);
--   bison_stats             Bison's own numbers: a day before webhooks were registered, or the
--                           boundary day once settled. Events for such a day (late deliveries)
--                           never add to the counters Bison reports, so nothing counts twice;
--   bison_stats_and_events  the boundary day (the day of the backfill): Bison's numbers up to the
--                           backfill, plus events since. The reconciliation settles it with Bison's
--                           numbers for the whole day once the day is over.
-- Bison's series give sent, replied, interested, bounced, unsubscribed and opens; first contacts,
-- manual sends and untracked replies are counted from events only.
alter table public.workspace_daily_metrics
  add column source text not null default 'events'
    check (source in ('events', 'bison_stats', 'bison_stats_and_events')),
  add column bison_stats_fetched_at timestamptz;
comment on column public.workspace_daily_metrics.source is
  'Where the day''s numbers come from: events (webhook events), bison_stats (Bison''s daily '
  'series: a backfilled day, or the settled boundary day; events never add to them) or '
  'bison_stats_and_events (the day of the backfill: Bison''s numbers until then plus events since, '
  'until the reconciliation settles it).';
comment on column public.workspace_daily_metrics.bison_stats_fetched_at is
  'When Bison''s numbers for the day were last written (null for a day counted from events).';

create table private.workspace_backfills (
  workspace_id bigint primary key references public.workspaces (id) on delete cascade,
  first_day date not null,
  boundary_day date not null check (first_day <= boundary_day),
  backfilled_at timestamptz not null default now(),
  settled_at timestamptz
);
comment on table private.workspace_backfills is
  'Which days of a workspace were backfilled from Bison''s daily series: first_day up to the '
  'boundary day (the local day of the backfill), and when the reconciliation settled the boundary '
  'day with Bison''s numbers for the whole day.';
alter table private.workspace_backfills enable row level security;
revoke all on private.workspace_backfills from public, anon, authenticated, service_role;

insert into private.settings (key, value, description) values
  ('backfill_earlier_days', '30',
   'How many days before the first of the month onboarding backfills from Bison''s daily series '
   '(besides the month to date).');

create or replace function private.keep_bison_stats_counters()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.emails_sent := old.emails_sent;
  new.replies := old.replies;
  new.interested := old.interested;
  new.bounces := old.bounces;
  new.unsubscribes := old.unsubscribes;
  new.opens := old.opens;
  return new;
end;
$$;
comment on function private.keep_bison_stats_counters() is
  'Trigger: on a day whose counters are Bison''s own (source bison_stats), an update that brings '
  'no new Bison numbers (an event''s increment) leaves the counters Bison reports as they are.';

-- The condition is evaluated without calling the function: the hot path (a day counted from
-- events) pays nothing.
create trigger workspace_daily_metrics_keep_bison_stats
  before update on public.workspace_daily_metrics
  for each row
  when (old.source = 'bison_stats'
        and new.bison_stats_fetched_at is not distinct from old.bison_stats_fetched_at)
  execute function private.keep_bison_stats_counters();

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
  from (select (at at time zone private.workspace_timezone(target_workspace_id))::date as today)
    local;
$$;
comment on function private.backfill_window(bigint, integer, timestamptz) is
  'The days onboarding backfills for a workspace at a given time: from earlier_days (default the '
  'backfill_earlier_days setting, 30) before the first of its local month, to its local today '
  '(the boundary day).';

-- Bison's counts of one day, from the JSON the CLI and the reconciliation pass (null: not sent).
create or replace function private.write_bison_day(
  target_workspace_id bigint,
  counts jsonb,
  day_source text
)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into public.workspace_daily_metrics as m (
    workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes, opens, source,
    bison_stats_fetched_at
  ) values (
    target_workspace_id, (counts ->> 'day')::date,
    coalesce(private.jsonb_bigint(counts -> 'emails_sent'), 0),
    coalesce(private.jsonb_bigint(counts -> 'replies'), 0),
    coalesce(private.jsonb_bigint(counts -> 'interested'), 0),
    coalesce(private.jsonb_bigint(counts -> 'bounces'), 0),
    coalesce(private.jsonb_bigint(counts -> 'unsubscribes'), 0),
    coalesce(private.jsonb_bigint(counts -> 'opens'), 0),
    day_source, clock_timestamp()
  )
  on conflict (workspace_id, day) do update set
    emails_sent = coalesce(private.jsonb_bigint(counts -> 'emails_sent'), m.emails_sent),
    replies = coalesce(private.jsonb_bigint(counts -> 'replies'), m.replies),
    interested = coalesce(private.jsonb_bigint(counts -> 'interested'), m.interested),
    bounces = coalesce(private.jsonb_bigint(counts -> 'bounces'), m.bounces),
    unsubscribes = coalesce(private.jsonb_bigint(counts -> 'unsubscribes'), m.unsubscribes),
    opens = coalesce(private.jsonb_bigint(counts -> 'opens'), m.opens),
    source = excluded.source,
    bison_stats_fetched_at = excluded.bison_stats_fetched_at,
    updated_at = now();
end;
$$;
comment on function private.write_bison_day(bigint, jsonb, text) is
  'Writes Bison''s counts of one day ({day, emails_sent, replies, interested, bounces, '
  'unsubscribes, opens}; a missing count keeps what is stored) into the workspace''s day row, '
  'marked day_source. For private.record_backfill and private.settle_backfill_boundary.';

create or replace function private.record_backfill(
  target_workspace_id bigint,
  first_day date,
  boundary_day date,
  days jsonb
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  backfill private.workspace_backfills;
  written integer := 0;
  one jsonb;
begin
  if jsonb_typeof(days) is distinct from 'array' then
    raise exception 'days must be a JSON array of {day, emails_sent, ...}' using errcode = '22023';
  end if;
  if first_day is null or boundary_day is null or first_day > boundary_day then
    raise exception 'the backfill runs from first_day to boundary_day, got % to %',
      first_day, boundary_day using errcode = '22023';
  end if;
  if not exists (select 1 from public.workspaces w where w.id = target_workspace_id) then
    raise exception 'no workspace with id %', target_workspace_id using errcode = 'P0002';
  end if;
  -- The boundary day is the first backfill's: a later one only refreshes the days before it.
  insert into private.workspace_backfills as b (workspace_id, first_day, boundary_day)
  values (target_workspace_id, first_day, boundary_day)
  on conflict (workspace_id) do update set first_day = least(b.first_day, excluded.first_day)
  returning * into backfill;
  for one in
    select d from jsonb_array_elements(days) d
    where (d ->> 'day') ~ '^\d{4}-\d{2}-\d{2}$'
      and (d ->> 'day')::date between record_backfill.first_day and backfill.boundary_day
    order by d ->> 'day'
  loop
    if (one ->> 'day')::date < backfill.boundary_day then
      perform private.write_bison_day(target_workspace_id, one, 'bison_stats');
      written := written + 1;
    elsif backfill.settled_at is null and not exists (
      select 1 from public.workspace_daily_metrics m
      where m.workspace_id = target_workspace_id and m.day = backfill.boundary_day
        and m.source = 'bison_stats_and_events'
    ) then
      perform private.write_bison_day(target_workspace_id, one, 'bison_stats_and_events');
      written := written + 1;
    end if;
  end loop;
  return written;
end;
$$;
comment on function private.record_backfill(bigint, date, date, jsonb) is
  'Writes Bison''s daily counts (a JSON array of {day, emails_sent, replies, interested, bounces, '
  'unsubscribes, opens}) for first_day..boundary_day: days before the boundary day become '
  'bison_stats days, the boundary day (written once) bison_stats_and_events. The boundary day is '
  'the first backfill''s; a later backfill only refreshes the days before it. Returns how many '
  'day rows it wrote. Raises 22023 for bad input, P0002 for an unknown workspace.';

create or replace function private.backfill_boundary_to_settle(target_workspace_id bigint)
returns date
language sql
stable
set search_path = ''
as $$
  select b.boundary_day from private.workspace_backfills b
  where b.workspace_id = target_workspace_id and b.settled_at is null
    and b.boundary_day < (now() at time zone private.workspace_timezone(b.workspace_id))::date;
$$;
comment on function private.backfill_boundary_to_settle(bigint) is
  'The workspace''s boundary day when it is over and not settled yet (the reconciliation then '
  'fetches Bison''s numbers for it), else null.';

create or replace function private.settle_backfill_boundary(target_workspace_id bigint, counts jsonb)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  day date := private.backfill_boundary_to_settle(target_workspace_id);
begin
  if day is null then
    return false;
  end if;
  if (counts ->> 'day') is distinct from day::text then
    raise exception 'the boundary day to settle is %, got counts for %', day,
      coalesce(counts ->> 'day', 'no day') using errcode = '22023';
  end if;
  perform private.write_bison_day(target_workspace_id, counts, 'bison_stats');
  update private.workspace_backfills set settled_at = now()
  where workspace_id = target_workspace_id;
  return true;
end;
$$;
comment on function private.settle_backfill_boundary(bigint, jsonb) is
  'Settles the workspace''s boundary day once it is over: Bison''s counts for the whole day '
  'replace the mix of backfill and events, and the day becomes a bison_stats day. Returns false '
  'when there is nothing to settle. Raises 22023 when counts are for another day.';
