-- Every accepted webhook delivery is kept raw, once (unique idempotency key), before anything is
-- derived from it, so a processing bug never loses an event. Raw payloads are service-only; members
-- may see only the columns webhook_health needs.
create table private.settings (
  key text primary key,
  value jsonb not null,
  description text not null,
  updated_at timestamptz not null default now()
);
comment on table private.settings is 'Operational settings that SQL jobs read (key -> jsonb).';
insert into private.settings (key, value, description) values
  ('webhook_payload_retention', '"30 days"',
   'How long raw webhook payloads are kept before the pruning job deletes them (an interval).');

-- How every SQL job reads a setting: its value, or the caller's default when it is not set.
create or replace function private.setting_interval(setting_key text, fallback interval)
returns interval
language sql
stable
set search_path = ''
as $$
  select coalesce((select (value #>> '{}')::interval from private.settings where key = setting_key),
                  fallback);
$$;
comment on function private.setting_interval(text, interval) is
  'An interval setting from private.settings, or the fallback when it is not set.';

create or replace function private.setting_numeric(setting_key text, fallback numeric)
returns numeric
language sql
stable
set search_path = ''
as $$
  select coalesce((select (value #>> '{}')::numeric from private.settings where key = setting_key),
                  fallback);
$$;
comment on function private.setting_numeric(text, numeric) is
  'A numeric setting from private.settings, or the fallback when it is not set.';

create table private.webhook_events (
  id bigint generated always as identity primary key,
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  workspace_id bigint references public.workspaces (id) on delete cascade,
  event_type text not null,
  idempotency_key text not null unique,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  occurred_at timestamptz not null,
  status text not null default 'received'
    check (status in ('received', 'processed', 'failed', 'unknown_type')),
  error text,
  attempts integer not null default 0,
  processed_at timestamptz
);
-- Payloads of a few kB are compressed on insert: lz4 costs a fraction of the default pglz on the
-- hottest insert of the system (where the server was built without lz4, pglz stays).
do $$
begin
  alter table private.webhook_events alter column payload set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
  raise notice 'lz4 is not available here: webhook payloads keep the default compression';
end
$$;

create index webhook_events_workspace_id_received_at_idx
  on private.webhook_events (workspace_id, received_at);
-- No index on received_at alone: it would cost every insert, while the daily pruning finds the
-- oldest rows first by walking the primary key.
comment on table private.webhook_events is
  'Raw Email Bison webhook deliveries, one row per idempotency key. status: received (stored, '
  'not yet processed), processed, failed (error says why; reprocess after the fix), unknown_type '
  '(kept and reported, nothing derived).';

create table private.webhook_rejections (
  id bigint generated always as identity primary key,
  connection_id uuid references public.bison_connections (id) on delete cascade,
  hour timestamptz not null,
  reason text not null check (reason in
    ('unauthorized', 'payload_too_large', 'invalid_json', 'invalid_envelope')),
  deliveries integer not null default 0,
  unique nulls not distinct (connection_id, hour, reason)
);
comment on table private.webhook_rejections is
  'Deliveries refused before anything was stored, counted per connection (null when the token '
  'matched none), hour and reason.';

alter table private.settings enable row level security;
alter table private.webhook_events enable row level security;
alter table private.webhook_rejections enable row level security;

revoke all on private.settings, private.webhook_events, private.webhook_rejections
  from public, anon, authenticated, service_role;
-- The service (service_role key) may read raw deliveries and rejections, never change them.
grant select on private.webhook_events, private.webhook_rejections to service_role;
-- Members see delivery statistics of their workspaces through public.webhook_health (a security
-- invoker view), never payloads nor keys: only these columns are granted.
grant select (id, workspace_id, event_type, received_at, occurred_at, status)
  on private.webhook_events to authenticated;
create policy "members read their workspaces' delivery statistics" on private.webhook_events
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
