-- Internal functions and tables live in `private`, which the Data API does not expose, so they
-- never become RPC endpoints or REST resources by accident.
create schema if not exists private;
revoke all on schema private from public, anon, authenticated;
grant usage on schema private to service_role;
comment on schema private is
  'Internal objects of the Bison mirror: not exposed through the Data API.';
