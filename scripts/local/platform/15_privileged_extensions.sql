-- Stand-in for supautils' privileged extensions. On hosted Supabase, postgres is no superuser, yet
-- `create extension pg_cron` (or pgtap, plpgsql_check, ...) succeeds: supautils sees that the
-- extension is in supautils.privileged_extensions, creates it as supabase_admin (pg_cron always in
-- schema pg_catalog, supautils.extensions_parameter_overrides) and runs Supabase's after-create
-- script for it (supabase/postgres ansible/files/postgresql_extension_custom_scripts). Plain
-- PostgreSQL has no such hook, so locally the platform superuser creates the privileged
-- extensions the project asks for beforehand, the same way: pg_cron here, for every stack (our
-- first migrations create it with `create extension if not exists`, which then finds it), and
-- pgtap and plpgsql_check for the test stack only (scripts/local/run-tests.ts). A migration must
-- therefore say `create extension if not exists ... with schema <where hosted puts it>`.
--
-- Schema supautils_local exists only locally; nobody but the platform superuser may use it.

create schema if not exists supautils_local;
revoke all on schema supautils_local from public;
comment on schema supautils_local is
  'Local stack only: what supautils does for postgres on hosted Supabase. Never deployed.';

create or replace function supautils_local.create_privileged_extension(extension text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  -- supautils.privileged_extensions on hosted, for those a Debian PostgreSQL 15 can offer.
  privileged constant text[] := array[
    'address_standardizer', 'address_standardizer_data_us', 'autoinc', 'bloom', 'btree_gin',
    'btree_gist', 'citext', 'cube', 'dblink', 'dict_int', 'dict_xsyn', 'earthdistance',
    'fuzzystrmatch', 'hstore', 'http', 'hypopg', 'index_advisor', 'insert_username', 'intarray',
    'isn', 'ltree', 'moddatetime', 'pg_buffercache', 'pg_cron', 'pg_graphql', 'pg_hashids',
    'pg_jsonschema', 'pg_net', 'pg_prewarm', 'pg_repack', 'pg_stat_monitor', 'pg_stat_statements',
    'pg_tle', 'pg_trgm', 'pg_walinspect', 'pgaudit', 'pgcrypto', 'pgjwt', 'pgroonga',
    'pgroonga_database', 'pgrouting', 'pgrowlocks', 'pgsodium', 'pgstattuple', 'pgtap',
    'plcoffee', 'pljava', 'plls', 'plpgsql_check', 'plv8', 'postgis', 'postgis_raster',
    'postgis_sfcgal', 'postgis_tiger_geocoder', 'postgis_topology', 'postgres_fdw', 'refint',
    'rum', 'seg', 'sslinfo', 'supabase_vault', 'supautils', 'tablefunc', 'tcn', 'timescaledb',
    'tsm_system_rows', 'tsm_system_time', 'unaccent', 'uuid-ossp', 'vector', 'wrappers'
  ];
begin
  if not (extension = any (privileged)) then
    raise exception 'extension % is not privileged on hosted Supabase: postgres cannot create it',
      extension;
  end if;
  if exists (select from pg_catalog.pg_extension e where e.extname = extension) then
    return;
  end if;
  if extension = 'pg_cron' then
    create extension pg_cron with schema pg_catalog;
    -- Supabase's after-create script for pg_cron, and revoke_trigger_on_cron_tables_from_postgres:
    -- postgres manages jobs through cron.schedule/unschedule/alter_job, reads cron.job, and may
    -- read and prune cron.job_run_details.
    grant usage on schema cron to postgres with grant option;
    grant all on all functions in schema cron to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron
      grant all on sequences to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron
      grant all on tables to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron
      grant all on functions to postgres with grant option;
    grant all privileges on all tables in schema cron to postgres with grant option;
    revoke all on table cron.job from postgres;
    grant select on table cron.job to postgres with grant option;
    revoke trigger on cron.job_run_details from postgres;
  else
    execute pg_catalog.format('create extension %I with schema extensions', extension);
  end if;
end;
$$;
revoke all on function supautils_local.create_privileged_extension(text) from public;
comment on function supautils_local.create_privileged_extension(text) is
  'Local stack only: creates a privileged extension as supautils does on hosted when postgres asks '
  'for it (as the superuser, with Supabase''s after-create grants). Superuser only.';

select supautils_local.create_privileged_extension('pg_cron');
