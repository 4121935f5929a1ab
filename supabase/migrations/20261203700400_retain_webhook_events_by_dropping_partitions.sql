-- The retention of raw webhook events drops whole daily partitions instead of deleting rows, and
-- the job that does it also keeps partitions ready ahead of time (without one, ingest fails for
-- that day). Events never processed successfully (received, failed) are kept until reprocessed:
-- before a day is dropped they move to private.webhook_events_kept, the oldest partition.
-- Their idempotency keys stay in private.webhook_event_keys.
create or replace function private.maintain_webhook_events(at timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
-- Detaching and dropping take ACCESS EXCLUSIVE on webhook_events, which every ingest waits for:
-- rather than queue behind a long transaction (and make ingest queue behind it), give up and let
-- the next hourly run try again.
set lock_timeout = '5s'
as $$
declare
  kept constant text := 'private.webhook_events_kept';
  retention interval := private.setting_interval('webhook_payload_retention');
  cutoff timestamptz;
  created integer;
  expired record;
  dropped text[] := '{}';
  kept_events bigint := 0;
  moved bigint;
  pruned_bodies bigint;
  deferred boolean := false;
begin
  if retention is null or retention < interval '1 day' then
    raise exception 'webhook_payload_retention must be an interval of at least 1 day, got %',
      coalesce(retention::text, 'nothing') using errcode = '22023';
  end if;
  cutoff := at - retention;
  created := private.ensure_webhook_event_partitions(at);

  -- Oldest first, so that the kept events' partition always ends where the next one starts.
  for expired in
    select p.partition, p.ends_at from private.webhook_event_partitions() p
    where p.ends_at <= cutoff and p.partition::text <> kept
    order by p.starts_at
  loop
    begin
      -- (Dynamic SQL: the kept partition exists only once a day has been dropped.)
      if to_regclass(kept) is null then
        execute format('create table %s (like private.webhook_events including defaults '
                       'including constraints)', kept);
        execute format('alter table %s enable row level security', kept);
        execute format('revoke all on %s from public, anon, authenticated, service_role', kept);
        execute format('comment on table %s is %L', kept,
          'The partition of private.webhook_events holding events older than the retention '
          'that were never processed successfully (received, failed), kept until reprocessed.');
      else
        execute format('alter table private.webhook_events detach partition %s', kept);
        -- Reprocessed since: nothing keeps them any more.
        execute format('delete from %s where status in (''processed'', ''unknown_type'')', kept);
      end if;
      execute format(
        'insert into %s select * from %s where status not in (''processed'', ''unknown_type'')',
        kept, expired.partition);
      get diagnostics moved = row_count;
      dropped := dropped || expired.partition::text;
      execute format('drop table %s', expired.partition);
      execute format(
        'alter table private.webhook_events attach partition %s for values from (minvalue) to (%L)',
        kept, expired.ends_at);
      kept_events := kept_events + moved;
    exception when lock_not_available then
      deferred := true;
      exit;
    end;
  end loop;

  delete from private.quarantined_webhook_bodies q where q.received_at < cutoff;
  get diagnostics pruned_bodies = row_count;

  return jsonb_build_object(
    'partitions_created', created,
    'partitions_dropped', to_jsonb(dropped),
    'events_kept', kept_events,
    'quarantined_bodies_pruned', pruned_bodies,
    'deferred', deferred);
end;
$$;
comment on function private.maintain_webhook_events(timestamptz) is
  'Hourly upkeep of the raw webhook events as of `at`: creates the daily partitions up to '
  'webhook_event_partition_days_ahead days ahead, drops every partition wholly older than '
  'webhook_payload_retention (its received or failed events first move to the kept partition, '
  'private.webhook_events_kept), and deletes quarantined bodies older than the retention. '
  'Returns {partitions_created, partitions_dropped, events_kept, quarantined_bodies_pruned, '
  'deferred}; deferred is true when a lock was not granted within 5 s (the next run goes on).';

drop function private.prune_webhook_events(integer);
drop function private.schedule_webhook_payload_pruning();

create or replace function private.schedule_webhook_event_maintenance()
returns void
language plpgsql
set search_path = ''
as $$
begin
  if to_regnamespace('cron') is not null
     and exists (select 1 from cron.job j where j.jobname = 'prune-webhook-events') then
    perform cron.unschedule('prune-webhook-events');
  end if;
  perform private.schedule_job('maintain-webhook-events', '17 * * * *',
    'select private.maintain_webhook_events()');
end;
$$;
comment on function private.schedule_webhook_event_maintenance() is
  'Idempotently (re)creates the hourly pg_cron job maintain-webhook-events (at :17) and removes '
  'the row-deleting prune-webhook-events job it replaces.';

select private.schedule_webhook_event_maintenance();
