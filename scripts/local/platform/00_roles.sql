-- Stand-in for the API roles and public-schema privileges that every hosted
-- Supabase project gets from supabase/postgres
-- (migrations/db/init-scripts/00000000000000-initial-schema.sql). A plain
-- PostgreSQL has none of them, yet our RLS policies, grants and PostgREST-style
-- role switching name them. Every statement is guarded by a pg_catalog check,
-- so on hosted Supabase, or on a second run, this file changes nothing.
-- supabase_admin is deliberately not created: locally the superuser postgres
-- owns everything hosted gives to supabase_admin, and no grant we copy names it.

do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
    -- Hosted sets the API statement timeouts when it creates the roles.
    alter role anon set statement_timeout = '3s';
  end if;

  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
    alter role authenticated set statement_timeout = '8s';
  end if;

  if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
    -- bypassrls: a service_role JWT must be able to ignore every policy.
    create role service_role nologin noinherit bypassrls;
  end if;

  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
    -- noinherit: the API login gets no rights until it switches role.
    create role authenticator login noinherit;
  end if;
end
$$;

-- The API login must be able to SET ROLE to each JWT role.
do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (
      select from pg_catalog.pg_auth_members m
      where m.roleid = pg_catalog.to_regrole(r)
        and m.member = pg_catalog.to_regrole('authenticator')
    ) then
      execute pg_catalog.format('grant %I to authenticator', r);
    end if;
  end loop;
end
$$;

-- Hosted: grant usage on schema public to postgres, anon, authenticated, service_role.
do $$
declare
  r text;
begin
  foreach r in array array['postgres', 'anon', 'authenticated', 'service_role'] loop
    if not exists (
      select
      from pg_catalog.pg_namespace n,
           pg_catalog.aclexplode(n.nspacl) a
      where n.nspname = 'public'
        and a.grantee = pg_catalog.to_regrole(r)
        and a.privilege_type = 'USAGE'
    ) then
      execute pg_catalog.format('grant usage on schema public to %I', r);
    end if;
  end loop;
end
$$;

-- Hosted: alter default privileges for role postgres in schema public
--   grant all on tables / functions / sequences to anon, authenticated, service_role;
-- so that tables and functions our migrations create are reachable through the
-- API exactly as on hosted (migrations revoke what must stay private).
-- Granted only while the database is still unprovisioned (no migration has run yet), as the
-- platform does once at project creation: re-running this file must never undo a migration that
-- revoked them, such as the first one of this project.
do $$
declare
  keyword text;
begin
  if pg_catalog.to_regclass('supabase_migrations.schema_migrations') is not null then
    return;
  end if;
  foreach keyword in array array['tables', 'functions', 'sequences'] loop
    execute pg_catalog.format(
      'alter default privileges for role postgres in schema public grant all on %s '
      'to anon, authenticated, service_role',
      keyword
    );
  end loop;
end
$$;

-- Hosted Supabase puts the extensions schema on the postgres role's search path, so objects of
-- extensions installed there (pgTAP in tests, pgcrypto) resolve without qualification.
do $$
begin
  if not exists (
    select from pg_catalog.pg_db_role_setting s
    where s.setrole = pg_catalog.to_regrole('postgres') and s.setdatabase = 0
      and pg_catalog.array_to_string(s.setconfig, ',') like '%search_path=%'
  ) then
    alter role postgres set search_path to "$user", public, extensions;
  end if;
end
$$;
