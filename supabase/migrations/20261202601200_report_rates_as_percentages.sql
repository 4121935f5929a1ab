-- One unit for every rate the project shows or compares: a percentage, in a column or setting
-- whose name ends in _pct (1.25 = 1.25 %), computed by private.percent_of. Provider performance
-- stored fractions (0.0125) beside campaign metrics' percentages; its columns are renamed and
-- converted, and the health thresholds that were fractions become percentages too.
alter table public.provider_performance_history rename column reply_rate_day to reply_rate_day_pct;
alter table public.provider_performance_history rename column reply_rate_7d to reply_rate_7d_pct;
alter table public.provider_performance_history rename column reply_rate_30d to reply_rate_30d_pct;
alter table public.provider_performance_history rename column utilisation to utilisation_pct;
update public.provider_performance_history
set reply_rate_day_pct = round(100 * reply_rate_day_pct, 2),
    reply_rate_7d_pct = round(100 * reply_rate_7d_pct, 2),
    reply_rate_30d_pct = round(100 * reply_rate_30d_pct, 2),
    utilisation_pct = round(100 * utilisation_pct, 2);

comment on column public.provider_performance_history.mailboxes_disconnected is
  'Mailboxes in the disconnected status group (private.mailbox_status_group: disconnected, not '
  'connected, failed). Mailboxes of unknown status count only in mailboxes_total.';
comment on column public.provider_performance_history.burnt_mailboxes is
  'Mailboxes burnt at the end of the day (private.is_burnt_mailbox with the thresholds of '
  'private.burnt_rule, lifetime counters).';
comment on column public.provider_performance_history.reply_rate_day_pct is
  'unique_replies_day as a percentage of emails_sent_day (private.percent_of: 1.25 = 1.25 %, 2 '
  'decimals); null when nothing was sent. reply_rate_7d_pct and reply_rate_30d_pct likewise.';
comment on column public.provider_performance_history.utilisation_pct is
  'emails_sent_day as a percentage of total_daily_limit; null when the capacity is 0. Can exceed '
  '100.';

-- Settings that were fractions, as percentages (whatever an operator had set is converted).
insert into private.settings (key, value, description)
select new_key, to_jsonb(trim_scale(100 * coalesce(
         (select (s.value #>> '{}')::numeric from private.settings s
          where s.key = old_key and jsonb_typeof(s.value) = 'number'), fallback))),
       description
from (values
  ('disconnected_share_degraded', 'disconnected_share_degraded_pct', 0.05,
   'Percentage of a workspace''s mailboxes in the disconnected group above which it is degraded '
   '(down above four times as much).'),
  ('drift_tolerance', 'drift_tolerance_pct', 0.1,
   'Difference between webhook-derived and Bison-reported daily counts, as a percentage of '
   'Bison''s, above which a day has drifted.')
) v(old_key, new_key, fallback, description)
on conflict (key) do nothing;
delete from private.settings where key in ('disconnected_share_degraded', 'drift_tolerance');

-- The rate itself, defined once.
comment on function private.percent_of(numeric, numeric) is
  'The definition of every rate and share of the project: part as a percentage of whole, rounded '
  'to 2 decimals (percent_of(3, 200) = 1.50); null when whole is 0 or null (never divides by '
  'zero). Plain numeric, no cap.';

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
comment on function private.calculate_provider_performance(uuid, date, timestamptz) is
  'Computes the provider performance of target_day (a local day in the connection''s time zone) '
  'for one connection and replaces that day''s rows in public.provider_performance_history, on '
  'the project''s definitions: status groups (private.mailbox_status_group), burnt '
  '(private.is_burnt_mailbox) and rates as percentages (private.percent_of). When target_day is '
  'the day that ended last at as_of (default now()), the mailboxes are snapshotted first (once: '
  'existing snapshots are kept); an earlier day is recomputed from stored snapshots, so running '
  'it again gives the same rows. Raises 22023 for a day that has not ended, 55000 for an invalid '
  'setting, P0002 for an unknown connection. Records the run in '
  'private.provider_performance_runs, prunes snapshots older than '
  'sender_email_snapshot_retention and returns the number of rows written.';
