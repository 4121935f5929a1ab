-- Applied by `npm test` after migrations and seed, never by a deploy: the pgTAP and plpgsql_check
-- extensions, and a `tests` schema of helpers that every pgTAP file may use to act as a user.
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;

-- The first migration revoked EXECUTE from PUBLIC on new functions; pgTAP's own functions must stay
-- callable while a test acts as anon or authenticated.
do $$
declare
  fn regprocedure;
begin
  for fn in
    select d.objid::regprocedure from pg_catalog.pg_depend d
    join pg_catalog.pg_extension e on e.oid = d.refobjid
    where e.extname = 'pgtap' and d.classid = 'pg_catalog.pg_proc'::regclass and d.deptype = 'e'
  loop
    execute format('grant execute on function %s to public', fn);
  end loop;
end
$$;

create schema if not exists tests;

create or replace function tests.create_user(email text)
returns uuid
language sql
set search_path = ''
as $$
  -- As Supabase Auth writes a user: the nil instance id (the only one it looks users up in) and
  -- empty strings, not NULLs, in its token columns.
  insert into auth.users (
    instance_id, id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at,
    updated_at, confirmation_token, recovery_token, email_change_token_new, email_change
  )
  values (
    '00000000-0000-0000-0000-000000000000', gen_random_uuid(), email, 'authenticated',
    'authenticated', '{"provider":"email","providers":["email"]}', '{}', now(), now(), '', '', '',
    ''
  )
  returning id;
$$;
comment on function tests.create_user(text) is
  'Creates an auth.users row for a test, as Supabase Auth would (no password: it cannot sign in '
  'with one), and returns its id.';

create or replace function tests.user_id(email text)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select id from auth.users where auth.users.email = user_id.email;
$$;
comment on function tests.user_id(text) is
  'The id of the test user with that email, readable whatever role the test currently acts as.';

create or replace function tests.authenticate_as(user_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', json_build_object(
    'sub', user_id, 'role', 'authenticated', 'aud', 'authenticated',
    'email', (select email from auth.users where id = user_id))::text, true);
  perform set_config('role', 'authenticated', true);
end;
$$;
comment on function tests.authenticate_as(uuid) is
  'Acts as that user for the rest of the transaction: role authenticated with its JWT claims, '
  'as PostgREST sets them.';

create or replace function tests.authenticate_as_anon()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"anon"}', true);
  perform set_config('role', 'anon', true);
end;
$$;
comment on function tests.authenticate_as_anon() is
  'Acts as an anonymous API caller for the rest of the transaction.';

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
  perform set_config('role', 'service_role', true);
end;
$$;
comment on function tests.authenticate_as_service_role() is
  'Acts as the service role (bypasses RLS) for the rest of the transaction.';

create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
  reset role;
  perform set_config('request.jwt.claims', '', true);
end;
$$;
comment on function tests.clear_authentication() is
  'Back to the postgres role with no JWT claims.';

grant usage on schema tests to anon, authenticated, service_role;
grant execute on all functions in schema tests to anon, authenticated, service_role;
