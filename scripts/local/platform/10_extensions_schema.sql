-- Stand-in for hosted Supabase's `extensions` schema, which holds pgcrypto and uuid-ossp on every
-- project (supabase/postgres initial-schema.sql, created by postgres before it was demoted, so
-- postgres owns the schema). Our migrations call extensions.gen_random_bytes(),
-- extensions.crypt() and the like by qualified name, so the schema and both extensions must live
-- there locally too.
--
-- Grants as on hosted (initial-schema, demote-postgres, grant_extensions_perms_for_postgres):
-- usage for postgres and the API roles; postgres gets every privilege on what the platform
-- installs there, with grant option, now and for what supabase_admin installs later.

do $$
begin
  if not exists (select from pg_catalog.pg_namespace where nspname = 'extensions') then
    create schema extensions authorization postgres;
  end if;
end
$$;

grant usage on schema extensions to postgres, anon, authenticated, service_role;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

grant all privileges on all tables in schema extensions to postgres with grant option;
grant all privileges on all routines in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions
  grant all on tables to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions
  grant all on routines to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions
  grant all on sequences to postgres with grant option;
