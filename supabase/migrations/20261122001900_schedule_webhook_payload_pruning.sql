-- Raw payloads are kept for a configurable retention (private.settings,
-- webhook_payload_retention, default 30 days); everything derived from them is kept forever.
create or replace function private.prune_webhook_events(batch_size integer default 10000)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  retention interval := private.setting_interval('webhook_payload_retention', null);
  deleted bigint := 0;
  batch bigint;
begin
  if retention is null or retention < interval '1 day' then
    raise exception 'webhook_payload_retention must be an interval of at least 1 day, got %',
      coalesce(retention::text, 'nothing') using errcode = '22023';
  end if;
  loop
    -- Events never processed successfully are kept: they are the ones still to be reprocessed.
    delete from private.webhook_events
    where id in (
      select id from private.webhook_events
      where received_at < now() - retention and status in ('processed', 'unknown_type')
      order by id limit batch_size
    );
    get diagnostics batch = row_count;
    deleted := deleted + batch;
    exit when batch < batch_size;
  end loop;
  return deleted;
end;
$$;
comment on function private.prune_webhook_events(integer) is
  'Deletes raw webhook events (processed or of unknown type) older than the '
  'webhook_payload_retention setting, in batches; failed or unprocessed events are kept for '
  'reprocessing. Returns how many it deleted.';

create or replace function private.schedule_webhook_payload_pruning()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.schedule_job('prune-webhook-events', '17 3 * * *',
    'select private.prune_webhook_events()');
end;
$$;
comment on function private.schedule_webhook_payload_pruning() is
  'Idempotently (re)creates the daily pg_cron job prune-webhook-events (03:17 UTC).';

select private.schedule_webhook_payload_pruning();
