-- Stand-in for hosted Supabase's `extensions` schema, which holds pgcrypto and
-- uuid-ossp on every project (supabase/postgres initial-schema.sql). Our
-- migrations call extensions.gen_random_bytes(), extensions.crypt() and the
-- like by qualified name, so the schema and both extensions must live there
-- locally too. On hosted all of this already exists and nothing changes.

do $$
begin
  if not exists (select from pg_catalog.pg_namespace where nspname = 'extensions') then
    create schema extensions;
  end if;
end
$$;

-- Hosted: grant usage on schema extensions to postgres, anon, authenticated, service_role.
do $$
declare
  r text;
begin
  foreach r in array array['postgres', 'anon', 'authenticated', 'service_role'] loop
    if not exists (
      select
      from pg_catalog.pg_namespace n,
           pg_catalog.aclexplode(n.nspacl) a
      where n.nspname = 'extensions'
        and a.grantee = pg_catalog.to_regrole(r)
        and a.privilege_type = 'USAGE'
    ) then
      execute pg_catalog.format('grant usage on schema extensions to %I', r);
    end if;
  end loop;
end
$$;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
