-- Bounds the unpartitioned webhook_events before it becomes the first partition of a table
-- partitioned by day: the partitioning migration attaches it for (minvalue, unpartitioned_until),
-- and PostgreSQL skips the scan that would prove that bound, under an exclusive lock, when a valid
-- CHECK constraint already says so.
--
-- Added NOT VALID here (a brief ACCESS EXCLUSIVE lock, no scan: new rows are checked from now on)
-- and validated by the next migration (SHARE UPDATE EXCLUSIVE: ingest goes on during the scan).
-- The bound is the next UTC midnight at least two hours away: events keep going to this table
-- until then, so the migrations after it must be applied within those two hours (`db push` applies
-- them one after the other in seconds).
do $$
declare
  until timestamptz := date_trunc('day', now() + interval '2 hours', 'UTC') + interval '1 day';
begin
  update private.webhook_event_partitioning set unpartitioned_until = until;
  execute format(
    'alter table private.webhook_events add constraint webhook_events_received_before_partitions '
    'check (received_at < %L) not valid', until);
end
$$;
