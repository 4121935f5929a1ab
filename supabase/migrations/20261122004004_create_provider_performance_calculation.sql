-- Computing a day of provider performance for a connection: snapshot the mailboxes when the day
-- has just ended, then derive every (provider, reseller) row of that day in one set-based
-- statement from the snapshots, replacing whatever the day had. Which days have been computed is
-- recorded, so the hourly schedule can pick the connections whose local day has just ended.
create table private.provider_performance_runs (
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  day date not null,
  snapshots_taken integer not null,
  rows_written integer not null,
  computed_at timestamptz not null default now(),
  primary key (connection_id, day)
);
comment on table private.provider_performance_runs is
  'The local days whose provider performance has been computed, per connection: how many '
  'mailbox snapshots that run took (0 when recomputing from stored snapshots), how many rows it '
  'wrote, and when (the latest run when a day was recomputed).';
alter table private.provider_performance_runs enable row level security;
revoke all on private.provider_performance_runs from public, anon, authenticated, service_role;
grant select on private.provider_performance_runs to service_role;

create or replace function private.calculate_provider_performance(
  target_connection_id uuid,
  target_day date,
  as_of timestamptz default now()
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  zone text;
  local_today date;
  reply_threshold numeric;
  min_sent numeric;
  retention interval;
  taken integer := 0;
  written integer;
begin
  if target_day is null or as_of is null then
    raise exception 'target_day and as_of are required' using errcode = '22023';
  end if;
  select c.timezone into zone from public.bison_connections c where c.id = target_connection_id;
  if zone is null then
    raise exception 'no connection with id %', coalesce(target_connection_id::text, '<null>')
      using errcode = 'P0002';
  end if;
  local_today := (as_of at time zone zone)::date;
  if target_day >= local_today then
    raise exception 'day % has not ended yet in % (it is % there)', target_day, zone, local_today
      using errcode = '22023', hint = 'Only a day that is over can be computed.';
  end if;

  select
    max(case when s.key = 'burnt_reply_rate_threshold' and jsonb_typeof(s.value) = 'number'
             then s.value::numeric end),
    max(case when s.key = 'burnt_min_emails_sent' and jsonb_typeof(s.value) = 'number'
             then s.value::numeric end),
    max(case when s.key = 'sender_email_snapshot_retention' then s.value #>> '{}' end)::interval
  into reply_threshold, min_sent, retention
  from private.settings s
  where s.key in ('burnt_reply_rate_threshold', 'burnt_min_emails_sent',
                  'sender_email_snapshot_retention');
  if reply_threshold is null or reply_threshold not between 0 and 1 then
    raise exception 'setting burnt_reply_rate_threshold must be a number from 0 to 1'
      using errcode = '55000';
  end if;
  if min_sent is null or min_sent < 0 or min_sent <> trunc(min_sent) then
    raise exception 'setting burnt_min_emails_sent must be a whole number of at least 0'
      using errcode = '55000';
  end if;
  if retention is null or retention < interval '31 days' then
    raise exception 'setting sender_email_snapshot_retention must be at least 31 days'
      using errcode = '55000';
  end if;

  -- One run per connection at a time: the cron run and an operator's recompute never interleave.
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('provider_performance:' || target_connection_id::text, 0));

  -- Lifetime counters are only the day's when read just after it ended; an older day is
  -- recomputed from the snapshots already stored.
  if target_day = local_today - 1 then
    taken := private.snapshot_sender_emails(target_connection_id, target_day);
  end if;

  delete from public.provider_performance_history h
  where h.connection_id = target_connection_id and h.day = target_day;

  insert into public.provider_performance_history (
    connection_id, day, provider, reseller,
    mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes,
    emails_sent_day, emails_sent_7d, emails_sent_30d,
    unique_replies_day, unique_replies_7d, unique_replies_30d,
    bounces_day, bounces_7d, bounces_30d,
    reply_rate_day, reply_rate_7d, reply_rate_30d,
    total_daily_limit, utilisation
  )
  select
    target_connection_id, target_day, m.provider, m.reseller,
    count(*) filter (where m.active),
    count(*) filter (where m.active and m.status = 'connected'),
    count(*) filter (where m.active and m.status <> 'connected'),
    count(*) filter (where m.active and m.emails_sent >= min_sent and m.emails_sent > 0
                       and coalesce(m.unique_replies, 0) < reply_threshold * m.emails_sent),
    sum(m.sent_day), sum(m.sent_7d), sum(m.sent_30d),
    sum(m.replies_day), sum(m.replies_7d), sum(m.replies_30d),
    sum(m.bounces_day), sum(m.bounces_7d), sum(m.bounces_30d),
    sum(m.replies_day)::numeric / nullif(sum(m.sent_day), 0),
    sum(m.replies_7d)::numeric / nullif(sum(m.sent_7d), 0),
    sum(m.replies_30d)::numeric / nullif(sum(m.sent_30d), 0),
    coalesce(sum(m.capacity), 0),
    sum(m.sent_day)::numeric / nullif(sum(m.capacity), 0)
  from (
    select
      s.provider, s.reseller, s.status, s.emails_sent, s.unique_replies,
      s.status is distinct from 'removed' as active,
      case when s.status = 'connected' then greatest(s.daily_limit, 0) end as capacity,
      greatest(s.emails_sent_running - d1.emails_sent_running, 0) as sent_day,
      greatest(s.emails_sent_running - d7.emails_sent_running, 0) as sent_7d,
      greatest(s.emails_sent_running - d30.emails_sent_running, 0) as sent_30d,
      greatest(s.unique_replies_running - d1.unique_replies_running, 0) as replies_day,
      greatest(s.unique_replies_running - d7.unique_replies_running, 0) as replies_7d,
      greatest(s.unique_replies_running - d30.unique_replies_running, 0) as replies_30d,
      greatest(s.bounced_running - d1.bounced_running, 0) as bounces_day,
      greatest(s.bounced_running - d7.bounced_running, 0) as bounces_7d,
      greatest(s.bounced_running - d30.bounced_running, 0) as bounces_30d
    from public.sender_email_daily_snapshots s
    -- A window of k days ending with target_day starts from the mailbox's snapshot of
    -- target_day - k; without one (a mailbox new to the window, or a day the job missed) it
    -- counts from the mailbox's first snapshot inside the window: it never reaches back past
    -- its start. The snapshot of target_day itself is the last resort, so each lookup finds a row.
    cross join lateral (
      select b.emails_sent_running, b.unique_replies_running, b.bounced_running
      from public.sender_email_daily_snapshots b
      where b.sender_email_id = s.sender_email_id and b.day >= target_day - 1
      order by b.day
      limit 1
    ) d1
    cross join lateral (
      select b.emails_sent_running, b.unique_replies_running, b.bounced_running
      from public.sender_email_daily_snapshots b
      where b.sender_email_id = s.sender_email_id and b.day >= target_day - 7
      order by b.day
      limit 1
    ) d7
    cross join lateral (
      select b.emails_sent_running, b.unique_replies_running, b.bounced_running
      from public.sender_email_daily_snapshots b
      where b.sender_email_id = s.sender_email_id and b.day >= target_day - 30
      order by b.day
      limit 1
    ) d30
    where s.connection_id = target_connection_id and s.day = target_day
  ) m
  group by m.provider, m.reseller;
  get diagnostics written = row_count;

  insert into private.provider_performance_runs as r (connection_id, day, snapshots_taken,
                                                     rows_written, computed_at)
  values (target_connection_id, target_day, taken, written, now())
  on conflict (connection_id, day) do update
    set snapshots_taken = r.snapshots_taken + excluded.snapshots_taken,
        rows_written = excluded.rows_written,
        computed_at = excluded.computed_at;

  delete from public.sender_email_daily_snapshots s
  where s.connection_id = target_connection_id
    and s.day < (local_today - retention)::date;

  return written;
end;
$$;
comment on function private.calculate_provider_performance(uuid, date, timestamptz) is
  'Computes the provider performance of target_day (a local day in the connection''s time zone) '
  'for one connection and replaces that day''s rows in public.provider_performance_history. '
  'When target_day is the day that ended last at as_of (default now()), the mailboxes are '
  'snapshotted first (once: existing snapshots are kept); an earlier day is recomputed from '
  'stored snapshots, so running it again gives the same rows. Raises 22023 for a day that has '
  'not ended, 55000 for an invalid setting, P0002 for an unknown connection. Records the run in '
  'private.provider_performance_runs, prunes snapshots older than '
  'sender_email_snapshot_retention and returns the number of rows written.';

create or replace function private.provider_performance_due(as_of timestamptz default now())
returns table (connection_id uuid, day date)
language sql
stable
set search_path = ''
as $$
  select c.id, l.today - 1
  from public.bison_connections c
  cross join lateral (
    select (as_of at time zone c.timezone)::date as today,
           (as_of at time zone c.timezone)::time as clock
  ) l
  -- Local wall-clock time, so DST never moves it. The first hourly run after local midnight
  -- computes the day; the next ones until 03:00 catch up when that run failed, or when the local
  -- 00:00-00:59 hour did not exist (zones that change to summer time at midnight).
  where l.clock < time '03:00'
    and not exists (
      select 1 from private.provider_performance_runs r
      where r.connection_id = c.id and r.day = l.today - 1
    )
  order by c.id;
$$;
comment on function private.provider_performance_due(timestamptz) is
  'The connections whose local time at as_of (default now()) is between 00:00 and 03:00 and '
  'whose previous local day has not been computed yet, with that day. The hourly job computes '
  'exactly these, so each connection''s day is computed once, just after its local midnight, '
  'whatever the time zone, its half-hour offset or DST.';
