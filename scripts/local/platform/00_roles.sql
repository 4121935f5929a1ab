-- Stand-in for the roles of a hosted Supabase project and what they may do, from supabase/postgres
-- (migrations/db/init-scripts and migrations/db/migrations): applied, like every file here, by
-- the platform superuser supabase_admin, the cluster's bootstrap user, as on hosted.
--
-- postgres, the role a project's migrations, seed, functions and operators use, is not a superuser:
-- NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS (demote-postgres), owner of the
-- database (so of schema public), member of anon, authenticated and service_role
-- (grant_auth_roles_to_postgres) and of pg_monitor, pg_read_all_data and pg_signal_backend. It is
-- not a member of any platform role (supabase_admin, supabase_auth_admin,
-- supabase_realtime_admin: revoke_admin_roles_from_postgres), so the platform's schemas stay out
-- of its reach except for what is granted to it. anon, authenticated and service_role inherit
-- (alter_api_roles_for_inherit); authenticator, PostgREST's login, does not.
--
-- psql variables :postgres_password, :authenticator_password and :auth_admin_password are the local
-- demo passwords of the roles that log in (scripts/local/config.ts).

do $$
declare
  r text;
begin
  foreach r in array array[
    'postgres', 'anon', 'authenticated', 'service_role', 'authenticator', 'supabase_auth_admin',
    'supabase_realtime_admin'
  ] loop
    if not exists (select from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('create role %I', r);
    end if;
  end loop;
end
$$;

alter role supabase_admin with superuser createdb createrole replication bypassrls;
alter role postgres with nosuperuser createdb createrole login replication bypassrls inherit
  password :'postgres_password';
alter role anon with nologin inherit;
alter role authenticated with nologin inherit;
alter role service_role with nologin inherit bypassrls;
alter role authenticator with login noinherit password :'authenticator_password';
-- Platform service logins; locally no Auth or Realtime server logs in with them, they own objects.
alter role supabase_auth_admin with login noinherit nocreaterole noreplication
  password :'auth_admin_password';
alter role supabase_realtime_admin with login noinherit createrole replication;

-- Hosted sets the API roles' statement timeouts when it creates them, and PostgREST's login's.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
grant anon, authenticated, service_role to supabase_realtime_admin;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;

alter database postgres owner to postgres;
grant create on database postgres to supabase_realtime_admin;

grant usage on schema public to postgres, anon, authenticated, service_role;

-- Hosted: alter default privileges [for user supabase_admin] in schema public grant all on
-- tables / functions / sequences to postgres, anon, authenticated, service_role; so that what the
-- migrations create is reachable through the API exactly as on hosted (migrations revoke what must
-- stay private). Granted only while no migration has run yet, as the platform does once at project
-- creation: re-running this file must never undo a migration that revoked them, such as the first
-- one of this project.
do $$
declare
  owner text;
  keyword text;
begin
  if pg_catalog.to_regclass('supabase_migrations.schema_migrations') is not null then
    return;
  end if;
  foreach owner in array array['postgres', 'supabase_admin'] loop
    foreach keyword in array array['tables', 'functions', 'sequences'] loop
      execute pg_catalog.format(
        'alter default privileges for role %I in schema public grant all on %s '
        'to postgres, anon, authenticated, service_role',
        owner,
        keyword
      );
    end loop;
  end loop;
end
$$;

-- Hosted puts the extensions schema on these roles' search paths, so objects of extensions
-- installed there (pgTAP in tests, pgcrypto) resolve without qualification.
alter role postgres set search_path to "$user", public, extensions;
alter role supabase_admin set search_path to "$user", public, auth, extensions;
alter role supabase_auth_admin set search_path to auth;
alter role supabase_realtime_admin set search_path to public, extensions, realtime;
