-- One snapshot per mailbox per local day of Bison's lifetime counters, taken just after the day
-- ends, so that performance over any period is a difference between two snapshots: lifetime
-- ratios barely move and hide a provider going bad. Each snapshot also carries running totals of
-- the day-to-day increases, which never go down even when Bison's counters do (a reset, a mailbox
-- re-created), so a period's figure is one subtraction and can never be negative.
create table public.sender_email_daily_snapshots (
  sender_email_id bigint not null references public.sender_emails (id) on delete cascade,
  day date not null,
  -- Copied from the mailbox as they were that day. Deleting a connection deletes its mailboxes and
  -- with them their snapshots, so only sender_email_id is a foreign key: the daily insert of every
  -- mailbox checks one, and deleting a workspace does not rewrite its history.
  connection_id uuid not null,
  workspace_id bigint,
  status text,
  daily_limit integer,
  provider text,
  reseller text,
  emails_sent bigint,
  unique_replies bigint,
  bounced bigint,
  emails_sent_running bigint not null default 0 check (emails_sent_running >= 0),
  unique_replies_running bigint not null default 0 check (unique_replies_running >= 0),
  bounced_running bigint not null default 0 check (bounced_running >= 0),
  taken_at timestamptz not null default now(),
  primary key (sender_email_id, day)
);
create index sender_email_daily_snapshots_connection_id_day_idx
  on public.sender_email_daily_snapshots (connection_id, day);
create index sender_email_daily_snapshots_workspace_id_day_idx
  on public.sender_email_daily_snapshots (workspace_id, day);
comment on table public.sender_email_daily_snapshots is
  'A mailbox as it stood at the end of a local day (the connection''s time zone): Bison lifetime '
  'counters, status, daily limit, provider and reseller. Taken once, just after the day ends, '
  'and never rewritten.';
comment on column public.sender_email_daily_snapshots.emails_sent_running is
  'Sum of the day-to-day increases of emails_sent since the mailbox''s first snapshot (0 there). '
  'A counter that went down or was unknown starts a new baseline and adds nothing that day, so '
  'this never decreases: sends between two days are the difference of their running totals.';
comment on column public.sender_email_daily_snapshots.unique_replies_running is
  'Running total of unique_replies increases; see emails_sent_running.';
comment on column public.sender_email_daily_snapshots.bounced_running is
  'Running total of bounced increases; see emails_sent_running.';

alter table public.sender_email_daily_snapshots enable row level security;
create policy "members read their workspaces' mailbox snapshots"
  on public.sender_email_daily_snapshots
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
revoke all on public.sender_email_daily_snapshots from anon, authenticated, service_role;
grant select on public.sender_email_daily_snapshots to authenticated, service_role;

create or replace function private.counter_increase(earlier bigint, later bigint)
returns bigint
language sql
immutable
set search_path = ''
as $$
  select case
    when earlier is null or later is null or later < earlier then 0
    else later - earlier
  end;
$$;
comment on function private.counter_increase(bigint, bigint) is
  'How much a lifetime counter grew between two snapshots: later - earlier, or 0 when either is '
  'unknown or the counter went down (a reset: the later value is the new baseline). Never '
  'negative.';

create or replace function private.snapshot_sender_emails(target_connection_id uuid, target_day date)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  zone text;
  day_start timestamptz;
  inserted integer;
begin
  if target_day is null then
    raise exception 'target_day is required' using errcode = '22023';
  end if;
  select c.timezone into zone from public.bison_connections c where c.id = target_connection_id;
  if zone is null then
    raise exception 'no connection with id %', coalesce(target_connection_id::text, '<null>')
      using errcode = 'P0002';
  end if;
  -- One snapshot of a connection at a time (calculate_provider_performance takes the same lock).
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('provider_performance:' || target_connection_id::text, 0));
  -- Running totals are built on the previous snapshot, so days are snapshotted in order.
  if exists (
    select 1 from public.sender_email_daily_snapshots s
    where s.connection_id = target_connection_id and s.day > target_day
  ) then
    raise exception 'connection % already has snapshots after %', target_connection_id, target_day
      using errcode = '22023',
            hint = 'Snapshots are taken in day order, for the day that has just ended.';
  end if;
  day_start := target_day::timestamp at time zone zone;

  insert into public.sender_email_daily_snapshots (
    sender_email_id, day, connection_id, workspace_id, status, daily_limit, provider, reseller,
    emails_sent, unique_replies, bounced,
    emails_sent_running, unique_replies_running, bounced_running
  )
  select
    m.id, target_day, m.connection_id, m.workspace_id, m.status, m.daily_limit, m.provider,
    m.reseller, m.emails_sent, m.unique_replies, m.bounced,
    coalesce(p.emails_sent_running, 0) + private.counter_increase(p.emails_sent, m.emails_sent),
    coalesce(p.unique_replies_running, 0)
      + private.counter_increase(p.unique_replies, m.unique_replies),
    coalesce(p.bounced_running, 0) + private.counter_increase(p.bounced, m.bounced)
  from public.sender_emails m
  -- The mailbox's latest snapshot up to the day: the previous one, or the day's own when it has
  -- one already (then it is kept as it is).
  left join lateral (
    select prev.day, prev.emails_sent, prev.unique_replies, prev.bounced,
           prev.emails_sent_running, prev.unique_replies_running, prev.bounced_running
    from public.sender_email_daily_snapshots prev
    where prev.sender_email_id = m.id and prev.day <= target_day
    order by prev.day desc
    limit 1
  ) p on true
  where m.connection_id = target_connection_id
    -- Mailboxes removed during the day still count their sends of that day.
    and (m.removed_at is null or m.removed_at >= day_start)
    and p.day is distinct from target_day;
  get diagnostics inserted = row_count;
  return inserted;
end;
$$;
comment on function private.snapshot_sender_emails(uuid, date) is
  'Records the connection''s mailboxes as they are now (those not removed before the start of '
  'target_day, local time) as their snapshot of target_day, with running totals built on each '
  'mailbox''s previous snapshot. A mailbox that already has a snapshot of that day keeps it, so '
  'calling it again changes nothing. Meant for the day that has just ended (see '
  'private.calculate_provider_performance); refuses a day earlier than an existing snapshot of '
  'the connection. Returns how many snapshots it added.';
