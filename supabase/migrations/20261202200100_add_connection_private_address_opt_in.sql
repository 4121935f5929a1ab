-- A connection's instance is a public service. Its base URL may lead to a loopback, link-local or
-- private address (this machine, the local network, the cloud's metadata address) only when the
-- operator opted in for local development (`bison connect ... --allow-private-address`). The CLI
-- refuses such a base URL without the opt-in, and the Bison client resolves the host before every
-- request and refuses it too (supabase/functions/_shared/network-address.ts).
alter table public.bison_connections
  add column allow_private_address boolean not null default false;
comment on column public.bison_connections.allow_private_address is
  'True only for local development (the demo, the tests): the instance may resolve to a '
  'loopback, link-local or private address. Otherwise the Bison client refuses to call it.';
