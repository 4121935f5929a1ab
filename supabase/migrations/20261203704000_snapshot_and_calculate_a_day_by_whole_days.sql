-- One provider-performance day at ten times an agency (98,000 mailboxes on one connection) took
-- about 5 s a connection. Three costs, none of them the calculation itself:
-- - every mailbox looked its previous snapshots up on its own (one index descent into the whole
--   history per mailbox and window, mostly from disk): the snapshot and the calculation now read
--   the days they need as whole days of the connection (one index range each) and look up on its
--   own only a mailbox missing from one;
-- - private.counter_increase, called three times per snapshot, was a language sql function with
--   a fixed search_path, which PostgreSQL plans again at every call (7 µs, 2 s a day): the same
--   rule in plpgsql, which keeps its plan;
-- - each snapshot's foreign key to its mailbox ran a check (and locked the mailbox's row) per
--   snapshot: 0.8 s a day. Snapshots are a history written in bulk by one function from the
--   mailboxes themselves; what the key gave them is to go when their connection is deleted (no
--   mailbox is deleted any other way), which a trigger on bison_connections now does.
alter table public.sender_email_daily_snapshots
  drop constraint sender_email_daily_snapshots_sender_email_id_fkey;

create or replace function private.delete_connection_snapshots()
returns trigger
language plpgsql
-- Whoever may delete a connection may take its history with it.
security definer
set search_path = ''
as $$
begin
  delete from public.sender_email_daily_snapshots s where s.connection_id = old.id;
  return null;
end;
$$;
comment on function private.delete_connection_snapshots() is
  'Trigger on bison_connections: deletes the daily mailbox snapshots of a deleted connection '
  '(what the cascade through sender_emails did before snapshots lost that key).';
create trigger bison_connections_delete_snapshots
  after delete on public.bison_connections
  for each row execute function private.delete_connection_snapshots();

create or replace function private.counter_increase(earlier bigint, later bigint)
returns bigint
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case
    when earlier is null or later is null or later < earlier then 0
    else later - earlier
  end;
end;
$$;

create or replace function private.snapshot_sender_emails(
  target_connection_id uuid,
  target_day date
)
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

  with todays as materialized (
    select s.sender_email_id from public.sender_email_daily_snapshots s
    where s.connection_id = target_connection_id and s.day = target_day
  ),
  yesterdays as materialized (
    select s.sender_email_id, s.emails_sent, s.unique_replies, s.bounced,
           s.emails_sent_running, s.unique_replies_running, s.bounced_running
    from public.sender_email_daily_snapshots s
    where s.connection_id = target_connection_id and s.day = target_day - 1
  )
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
  -- The mailbox's latest snapshot up to the day: the previous day's, read as a whole day of the
  -- connection (one index range), or for a mailbox without one (new, or a day the job missed)
  -- its latest before. A mailbox that has the day's own snapshot already keeps it.
  left join todays t on t.sender_email_id = m.id
  left join yesterdays y on y.sender_email_id = m.id
  left join lateral (
    select prev.day, prev.emails_sent, prev.unique_replies, prev.bounced,
           prev.emails_sent_running, prev.unique_replies_running, prev.bounced_running
    from public.sender_email_daily_snapshots prev
    where y.sender_email_id is null
      and prev.sender_email_id = m.id and prev.day < target_day
    order by prev.day desc
    limit 1
  ) older on true
  cross join lateral (
    select coalesce(y.emails_sent, older.emails_sent) as emails_sent,
           coalesce(y.unique_replies, older.unique_replies) as unique_replies,
           coalesce(y.bounced, older.bounced) as bounced,
           coalesce(y.emails_sent_running, older.emails_sent_running) as emails_sent_running,
           coalesce(y.unique_replies_running, older.unique_replies_running)
             as unique_replies_running,
           coalesce(y.bounced_running, older.bounced_running) as bounced_running
  ) p
  where m.connection_id = target_connection_id
    -- Mailboxes removed during the day still count their sends of that day.
    and (m.removed_at is null or m.removed_at >= day_start)
    and t.sender_email_id is null;
  get diagnostics inserted = row_count;
  return inserted;
end;
$$;

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

  perform private.burnt_rule();
  begin
    retention := (select (s.value #>> '{}')::interval from private.settings s
                  where s.key = 'sender_email_snapshot_retention');
  exception when data_exception then
    retention := null;
  end;
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

  with day_before as materialized (
    select b.sender_email_id, b.emails_sent_running, b.unique_replies_running, b.bounced_running
    from public.sender_email_daily_snapshots b
    where b.connection_id = target_connection_id and b.day = target_day - 1
  ),
  week_before as materialized (
    select b.sender_email_id, b.emails_sent_running, b.unique_replies_running, b.bounced_running
    from public.sender_email_daily_snapshots b
    where b.connection_id = target_connection_id and b.day = target_day - 7
  ),
  month_before as materialized (
    select b.sender_email_id, b.emails_sent_running, b.unique_replies_running, b.bounced_running
    from public.sender_email_daily_snapshots b
    where b.connection_id = target_connection_id and b.day = target_day - 30
  )
  insert into public.provider_performance_history (
    connection_id, day, provider, reseller,
    mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes,
    emails_sent_day, emails_sent_7d, emails_sent_30d,
    unique_replies_day, unique_replies_7d, unique_replies_30d,
    bounces_day, bounces_7d, bounces_30d,
    reply_rate_day_pct, reply_rate_7d_pct, reply_rate_30d_pct,
    total_daily_limit, utilisation_pct
  )
  select
    target_connection_id, target_day, m.provider, m.reseller,
    count(*) filter (where m.status_group <> 'removed'),
    count(*) filter (where m.status_group = 'connected'),
    count(*) filter (where m.status_group = 'disconnected'),
    count(*) filter (where m.status_group <> 'removed'
                       and private.is_burnt_mailbox(m.emails_sent, m.unique_replies,
                                                    b.min_emails_sent, b.below_reply_rate_pct)),
    sum(m.sent_day), sum(m.sent_7d), sum(m.sent_30d),
    sum(m.replies_day), sum(m.replies_7d), sum(m.replies_30d),
    sum(m.bounces_day), sum(m.bounces_7d), sum(m.bounces_30d),
    private.percent_of(sum(m.replies_day), sum(m.sent_day)),
    private.percent_of(sum(m.replies_7d), sum(m.sent_7d)),
    private.percent_of(sum(m.replies_30d), sum(m.sent_30d)),
    coalesce(sum(m.capacity), 0),
    private.percent_of(sum(m.sent_day), sum(m.capacity))
  from (
    select
      s.provider, s.reseller, s.status_group, s.emails_sent, s.unique_replies,
      case when s.status_group = 'connected' then greatest(s.daily_limit, 0) end as capacity,
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
    -- The snapshots of those days are read as whole days of the connection (one index range
    -- each); only a mailbox missing one is looked up on its own.
    left join day_before e1 on e1.sender_email_id = s.sender_email_id
    left join week_before e7 on e7.sender_email_id = s.sender_email_id
    left join month_before e30 on e30.sender_email_id = s.sender_email_id
    left join lateral (
      select b.emails_sent_running, b.unique_replies_running, b.bounced_running
      from public.sender_email_daily_snapshots b
      where e1.sender_email_id is null
        and b.sender_email_id = s.sender_email_id and b.day >= target_day - 1
      order by b.day
      limit 1
    ) f1 on true
    left join lateral (
      select b.emails_sent_running, b.unique_replies_running, b.bounced_running
      from public.sender_email_daily_snapshots b
      where e7.sender_email_id is null
        and b.sender_email_id = s.sender_email_id and b.day >= target_day - 7
      order by b.day
      limit 1
    ) f7 on true
    left join lateral (
      select b.emails_sent_running, b.unique_replies_running, b.bounced_running
      from public.sender_email_daily_snapshots b
      where e30.sender_email_id is null
        and b.sender_email_id = s.sender_email_id and b.day >= target_day - 30
      order by b.day
      limit 1
    ) f30 on true
    cross join lateral (
      select coalesce(e1.emails_sent_running, f1.emails_sent_running) as emails_sent_running,
             coalesce(e1.unique_replies_running, f1.unique_replies_running)
               as unique_replies_running,
             coalesce(e1.bounced_running, f1.bounced_running) as bounced_running
    ) d1
    cross join lateral (
      select coalesce(e7.emails_sent_running, f7.emails_sent_running) as emails_sent_running,
             coalesce(e7.unique_replies_running, f7.unique_replies_running)
               as unique_replies_running,
             coalesce(e7.bounced_running, f7.bounced_running) as bounced_running
    ) d7
    cross join lateral (
      select coalesce(e30.emails_sent_running, f30.emails_sent_running) as emails_sent_running,
             coalesce(e30.unique_replies_running, f30.unique_replies_running)
               as unique_replies_running,
             coalesce(e30.bounced_running, f30.bounced_running) as bounced_running
    ) d30
    where s.connection_id = target_connection_id and s.day = target_day
  ) m
  cross join private.burnt_rule() b
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
