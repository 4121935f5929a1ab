-- Bison is reported to allow about 3,000 requests a minute per key and documents no limit, so a
-- full poll of thousands of mailboxes must hold itself below that rather than rely on 429s. Each
-- connection has a budget the Bison client keeps to (shared by every client of the connection in
-- a function process): the connection's own, else the setting.
alter table public.bison_connections
  add column requests_per_minute integer check (requests_per_minute between 1 and 100000);
comment on column public.bison_connections.requests_per_minute is
  'The most requests a minute the mirror sends this instance; null: the '
  'bison_requests_per_minute setting (2,500).';

insert into private.settings (key, value, description) values
  ('bison_requests_per_minute', '2500',
   'The default request budget of a connection (requests a minute), under the rate Bison is '
   'reported to allow.')
on conflict (key) do nothing;

create or replace function private.bison_requests_per_minute(target_connection_id uuid)
returns integer
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select c.requests_per_minute from public.bison_connections c where c.id = target_connection_id),
    greatest(1, private.setting_numeric('bison_requests_per_minute', 2500))::integer);
$$;
comment on function private.bison_requests_per_minute(uuid) is
  'The request budget of a connection, in requests a minute: its own requests_per_minute, else '
  'the bison_requests_per_minute setting (default 2,500).';
