-- Proves the bound added by the previous migration on every stored event: one scan of the table
-- under SHARE UPDATE EXCLUSIVE, which lets ingest insert meanwhile.
alter table private.webhook_events validate constraint webhook_events_received_before_partitions;
