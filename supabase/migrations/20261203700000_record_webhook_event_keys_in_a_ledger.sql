-- Idempotency outlives the raw events. The unique index on webhook_events.idempotency_key only
-- knew the events still stored, so a delivery retried after the retention pruned its event was
-- counted again, and it cost ~190 MB per million events. The ledger keeps a 16-byte digest of
-- every key ever accepted, for good, in one unpartitioned table whatever happens to the raw
-- events (partitioned by day and dropped whole by the migrations that follow).
--
-- This migration only takes ACCESS SHARE on webhook_events: ingest goes on while it copies the
-- keys of the events already stored (on a populated database: one pass over the table, about
-- 5 µs an event). Events stored meanwhile are added by the migration that partitions the table,
-- which reads them from the time recorded here.
create table private.webhook_event_keys (
  key_hash uuid primary key,
  received_at timestamptz not null
);
comment on table private.webhook_event_keys is
  'Every idempotency key ever accepted (private.webhook_event_key_hash: the first 128 bits of its '
  'SHA-256), kept after the raw event is dropped, so that a retried old delivery is still a '
  'duplicate. received_at: when the first delivery arrived.';
alter table private.webhook_event_keys enable row level security;
revoke all on private.webhook_event_keys from public, anon, authenticated, service_role;

create or replace function private.webhook_event_key_hash(idempotency_key text)
returns uuid
language plpgsql
immutable
strict
set search_path = ''
as $$
begin
  -- 128 bits of SHA-256: a collision needs about 2^64 keys, and no one can aim one at a key.
  return encode(substring(sha256(convert_to(idempotency_key, 'UTF8')) from 1 for 16), 'hex')::uuid;
end;
$$;
comment on function private.webhook_event_key_hash(text) is
  'The digest private.webhook_event_keys stores for an idempotency key '
  '(private.webhook_idempotency_key): its SHA-256 cut to 128 bits, as a uuid.';

-- Where the conversion to daily partitions stands; the partitioning migration reads and drops it.
create table private.webhook_event_partitioning (
  singleton boolean primary key default true check (singleton),
  keys_backfilled_from timestamptz not null,
  unpartitioned_until timestamptz
);
comment on table private.webhook_event_partitioning is
  'Transient: when the ledger backfill started, and the instant before which events stay in the '
  'unpartitioned table. Dropped once webhook_events is partitioned.';
alter table private.webhook_event_partitioning enable row level security;
revoke all on private.webhook_event_partitioning from public, anon, authenticated, service_role;

-- now() is this transaction's start: every event committed before it is in the snapshot below.
insert into private.webhook_event_partitioning (keys_backfilled_from) values (now());

insert into private.webhook_event_keys (key_hash, received_at)
select private.webhook_event_key_hash(e.idempotency_key), e.received_at
from private.webhook_events e
on conflict (key_hash) do nothing;
