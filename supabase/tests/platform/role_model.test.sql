-- The database runs with hosted Supabase's role model, and every test, migration and seed runs as
-- the `postgres` role of that model: not a superuser, bypassing RLS, a member of the API roles
-- (which inherit) but of no platform role, reading cron.job without writing it, and kept out of
-- the platform's schemas except for what they grant it. If the local stack drifts back to a
-- superuser postgres, this file fails.
begin;
select plan(35);

select is(current_user::text, 'postgres', 'tests run as postgres');
select is(session_user::text, 'postgres', 'and log in as postgres');

select is(
  (select row(rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication, rolinherit,
              rolcanlogin)::text
   from pg_catalog.pg_roles where rolname = 'postgres'),
  row(false, true, true, true, true, true, true)::text,
  'postgres: NOSUPERUSER BYPASSRLS CREATEROLE CREATEDB REPLICATION INHERIT LOGIN');
select is(
  (select rolsuper from pg_catalog.pg_roles where rolname = 'supabase_admin'), true,
  'supabase_admin is the superuser');
select is(
  (select array_agg(rolname::text order by rolname) from pg_catalog.pg_roles
   where rolsuper),
  array['supabase_admin'], 'and the only one');

select ok(pg_has_role('postgres', 'anon', 'member'), 'postgres is a member of anon');
select ok(pg_has_role('postgres', 'authenticated', 'member'),
  'postgres is a member of authenticated');
select ok(pg_has_role('postgres', 'service_role', 'member'),
  'postgres is a member of service_role');
select ok(pg_has_role('postgres', 'pg_read_all_data', 'member'),
  'postgres is a member of pg_read_all_data');
select ok(pg_has_role('postgres', 'pg_monitor', 'member'), 'postgres is a member of pg_monitor');
select ok(not pg_has_role('postgres', 'supabase_admin', 'member'),
  'postgres is not a member of supabase_admin');
select ok(not pg_has_role('postgres', 'supabase_realtime_admin', 'member'),
  'postgres is not a member of supabase_realtime_admin');
select ok(not pg_has_role('postgres', 'supabase_auth_admin', 'member'),
  'postgres is not a member of supabase_auth_admin');

select is(
  (select array_agg(rolname::text || ':' || rolinherit::text order by rolname)
   from pg_catalog.pg_roles where rolname in ('anon', 'authenticated', 'service_role')),
  array['anon:true', 'authenticated:true', 'service_role:true'],
  'anon, authenticated and service_role inherit');
select is(
  (select rolbypassrls from pg_catalog.pg_roles where rolname = 'service_role'), true,
  'service_role bypasses RLS');
select is(
  (select row(rolcanlogin, rolinherit)::text from pg_catalog.pg_roles
   where rolname = 'authenticator'),
  row(true, false)::text, 'authenticator logs in and does not inherit');
select ok(pg_has_role('authenticator', 'anon', 'member')
  and pg_has_role('authenticator', 'authenticated', 'member')
  and pg_has_role('authenticator', 'service_role', 'member'),
  'authenticator may become each API role');

select is(pg_catalog.pg_get_userbyid(d.datdba)::text, 'postgres', 'postgres owns the database')
from pg_catalog.pg_database d where d.datname = current_database();

select is(
  (select array_agg(n.nspname::text || ':' || pg_catalog.pg_get_userbyid(n.nspowner)
     order by n.nspname)
   from pg_catalog.pg_namespace n
   where n.nspname in ('auth', 'cron', 'extensions', 'net', 'realtime', 'vault')),
  array['auth:supabase_admin', 'cron:supabase_admin', 'extensions:postgres',
        'net:supabase_admin', 'realtime:supabase_admin', 'vault:supabase_admin'],
  'the platform''s schemas belong to platform roles, extensions to postgres');
select is(
  (select pg_catalog.pg_get_userbyid(relowner)::text from pg_catalog.pg_class
   where oid = 'realtime.messages'::regclass),
  'supabase_realtime_admin', 'realtime.messages belongs to supabase_realtime_admin');
select is(
  (select pg_catalog.pg_get_userbyid(relowner)::text from pg_catalog.pg_class
   where oid = 'auth.users'::regclass),
  'supabase_auth_admin', 'auth.users belongs to supabase_auth_admin');
select is(
  (select pg_catalog.pg_get_userbyid(proowner)::text from pg_catalog.pg_proc
   where oid = 'realtime.send(jsonb, text, text, boolean)'::regprocedure),
  'supabase_realtime_admin', 'realtime.send belongs to supabase_realtime_admin');
select is(
  (select pg_catalog.pg_get_userbyid(pubowner)::text from pg_catalog.pg_publication
   where pubname = 'supabase_realtime'),
  'postgres', 'postgres owns the supabase_realtime publication');

select ok(has_table_privilege('cron.job', 'select'), 'postgres reads cron.job');
select ok(
  not has_table_privilege('cron.job', 'insert') and not has_table_privilege('cron.job', 'update')
  and not has_table_privilege('cron.job', 'delete'),
  'but may not write it');
select throws_ok($$update cron.job set active = false$$, '42501', null,
  'an update of cron.job is refused');
select ok(has_function_privilege('cron.schedule(text, text, text)', 'execute')
  and has_function_privilege('cron.unschedule(name)', 'execute'),
  'jobs are managed through cron.schedule and cron.unschedule');
select ok(has_table_privilege('cron.job_run_details', 'select, delete')
  and not has_table_privilege('cron.job_run_details', 'trigger'),
  'postgres reads and prunes cron.job_run_details, without triggers');

select ok(not has_schema_privilege('auth', 'create'), 'postgres creates nothing in auth');
select ok(not has_schema_privilege('realtime', 'create'), 'nor in realtime');
select ok(has_table_privilege('auth.users', 'insert'), 'postgres may insert auth users');

select throws_ok(
  format('create policy "not on hosted" on realtime.%I for select using (false)',
    'messages_' || to_char(now() at time zone 'UTC', 'YYYY_MM_DD')),
  '42501', null, 'postgres may not write policies on a platform table outside policy_grants');
select throws_ok(
  $$alter table realtime.messages add column local_only int$$, '42501', null,
  'postgres may not alter realtime.messages');
select lives_ok(
  $$create policy "role model test" on realtime.messages for select to authenticated
    using (false)$$,
  'but may write policies on it, as supautils lets it on hosted');
select ok(not pg_has_role('postgres', 'supabase_realtime_admin', 'member'),
  'and is no member of its owner afterwards');

select * from finish();
rollback;
