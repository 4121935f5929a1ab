-- Who owns the auth stand-in (20_auth.sql) and who may use it, as on hosted Supabase
-- (supabase/postgres auth-schema init script, update-auth-permissions, update-auth-owner,
-- demote-postgres, revoke_admin_roles_from_postgres): schema auth belongs to supabase_admin; its
-- tables, sequences and functions to supabase_auth_admin, the Auth server's role; postgres has
-- every privilege on them (so tests and operators may insert users) but may not create objects in
-- the schema, and is not a member of supabase_auth_admin. Applied after 20_auth.sql to whatever
-- that file created, so it holds whatever the auth stand-in grows to contain.

grant all on schema auth to supabase_auth_admin;
grant usage on schema auth to postgres, supabase_realtime_admin;

do $$
declare
  object record;
begin
  for object in
    select pg_catalog.format('table %s', c.oid::regclass) as name
    from pg_catalog.pg_class c
    where c.relnamespace = 'auth'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')
      and c.relowner = 'supabase_admin'::regrole
      and not exists (  -- a partition or an index follows its parent
        select from pg_catalog.pg_inherits i where i.inhrelid = c.oid
      )
    union all
    select pg_catalog.format(
      '%s %s', case p.prokind when 'p' then 'procedure' else 'function' end, p.oid::regprocedure
    )
    from pg_catalog.pg_proc p
    where p.pronamespace = 'auth'::regnamespace and p.proowner = 'supabase_admin'::regrole
  loop
    execute pg_catalog.format('alter %s owner to supabase_auth_admin', object.name);
  end loop;
end
$$;

grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;
grant all on all routines in schema auth to postgres;
grant execute on all functions in schema auth to supabase_realtime_admin;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on tables to postgres;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on sequences to postgres;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on routines to postgres;
