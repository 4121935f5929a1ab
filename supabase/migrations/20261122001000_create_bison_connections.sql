-- A connection is one Email Bison instance (a base URL) whose webhooks we receive. Its webhook
-- token is a bearer secret inside the registered URL (Bison can sign nothing), so only its SHA-256
-- is stored, in a private table no API role can read.
create table public.bison_connections (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (length(btrim(name)) between 1 and 100),
  base_url text not null check (base_url ~ '^https?://[^/\s]+(/[^\s]*)?$'),
  timezone text not null default 'UTC',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.bison_connections is
  'One Email Bison instance (base URL). timezone is the agency''s reporting day unless a '
  'workspace overrides it.';

create or replace function private.is_valid_timezone(zone text)
returns boolean
language sql
stable
set search_path = ''
as $$
  select zone is not null and exists (select 1 from pg_catalog.pg_timezone_names where name = zone);
$$;
comment on function private.is_valid_timezone(text) is
  'True when zone is an IANA time zone name PostgreSQL knows (e.g. America/Chicago).';

-- A check constraint may not call a non-immutable function, so the zone is validated by trigger.
create or replace function private.check_timezone()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.timezone is not null and not private.is_valid_timezone(new.timezone) then
    raise exception 'unknown time zone: %', new.timezone
      using errcode = '22023', hint = 'Use an IANA name such as America/Chicago or UTC.';
  end if;
  return new;
end;
$$;
comment on function private.check_timezone() is
  'Trigger: rejects a row whose timezone column is not an IANA zone name.';

create trigger bison_connections_check_timezone
  before insert or update of timezone on public.bison_connections
  for each row execute function private.check_timezone();

create table private.webhook_tokens (
  connection_id uuid primary key references public.bison_connections (id) on delete cascade,
  token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now()
);
comment on table private.webhook_tokens is
  'SHA-256 (hex) of each connection''s current webhook URL token. The token itself is shown '
  'once by the admin CLI and never stored.';

alter table public.bison_connections enable row level security;
alter table private.webhook_tokens enable row level security;

revoke all on public.bison_connections from anon, authenticated;
revoke all on private.webhook_tokens from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.bison_connections to service_role;
