-- API roles get no privilege the read model does not need. Reproduction: anon could setval an
-- identity sequence to its maximum (every later insert failed); a session acting as
-- authenticated with a claim saying service_role read any workspace's time zone.
begin;
select plan(12);

-- anon and authenticated: no sequence.
select tests.authenticate_as_anon();
select throws_ok($$select setval('public.workspaces_id_seq', 9223372036854775807)$$, '42501',
  null, 'anon cannot setval a sequence');
select throws_ok($$select nextval('public.replies_id_seq')$$, '42501', null,
  'anon cannot draw from a sequence');
select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('seq@example.test'));
select throws_ok($$select setval('public.sender_emails_id_seq', 9223372036854775807)$$, '42501',
  null, 'authenticated cannot setval a sequence');
select tests.clear_authentication();

select is(
  array(select c.relname::text from pg_catalog.pg_class c
        where c.relkind = 'S' and c.relnamespace = 'public'::regnamespace
          and (has_sequence_privilege('anon', c.oid, 'usage,select,update')
               or has_sequence_privilege('authenticated', c.oid, 'usage,select,update'))
        order by 1),
  array[]::text[], 'no sequence of public is usable by anon or authenticated');
create table public.pgtap_new_table (id bigint generated always as identity primary key);
select ok(not has_sequence_privilege('anon', 'public.pgtap_new_table_id_seq', 'usage'),
  'nor one created later');

-- pg_net's schema belongs to the platform (supabase_admin), which grants it to the API roles:
-- postgres cannot take that away. What keeps pg_net out of their reach is that the Data API does
-- not expose net (supabase/functions/tests/data-api/net_unreachable.test.ts) and that nothing
-- they may run reaches it: no function they may execute, no trigger on a table they may write,
-- directly or through the functions it calls.
select is((select n.nspowner::regrole::text from pg_catalog.pg_namespace n where n.nspname = 'net'),
  'supabase_admin', 'net belongs to the platform, as on hosted');
create function pg_temp.api_roles_reaching_net() returns text[] language sql as $$
  select array(
    with recursive reaching(fn) as (
      select p.oid from pg_catalog.pg_proc p
      -- (tests holds this suite's helpers, never deployed)
      where p.pronamespace not in ('net'::regnamespace, 'pg_catalog'::regnamespace,
                                   'information_schema'::regnamespace, 'tests'::regnamespace)
        and p.prosrc ~* '\mnet\s*\.\s*\w'
      union
      select p.oid from pg_catalog.pg_proc p
      join reaching r on true
      join pg_catalog.pg_proc q on q.oid = r.fn
      where p.pronamespace <> 'tests'::regnamespace
        and p.prosrc ~* ('\m' || q.pronamespace::regnamespace::text || '\.' || q.proname || '\s*\(')
    )
    select distinct r.fn::regprocedure::text from reaching r
    where exists (select 1 from unnest(array['anon', 'authenticated']) api_role
                  where has_function_privilege(api_role, r.fn, 'execute')
                     or exists (select 1 from pg_catalog.pg_trigger t
                                where t.tgfoid = r.fn
                                  and has_table_privilege(api_role, t.tgrelid,
                                                          'insert,update,delete,truncate')))
    order by 1);
$$;
select is(pg_temp.api_roles_reaching_net(), array[]::text[],
  'no function or trigger anon or authenticated may run reaches pg_net');
create function public.pgtap_wake_everyone() returns void language sql security definer
set search_path = '' as $$ select private.invoke_edge_function('pgtap', '{}'::jsonb, 1000) $$;
grant execute on function public.pgtap_wake_everyone() to authenticated;
select is(pg_temp.api_roles_reaching_net(), array['pgtap_wake_everyone()'],
  'one granted to authenticated that calls a function queuing requests would be found');
select ok(has_schema_privilege('postgres', 'net', 'usage')
          and has_table_privilege('postgres', 'net.http_request_queue', 'insert'),
  'the owner that queues requests keeps them');

-- service_role still writes every table (identity columns need no sequence grant).
select tests.authenticate_as_service_role();
select lives_ok($$insert into public.mailbox_tag_mappings (tag_name, reseller)
                  values ('pgtap-sequence', 'Pgtap')$$,
  'service_role still inserts into a table with an identity column');
select tests.clear_authentication();

-- The time zone a caller may learn follows its database role, not a claim.
insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000a001', 'zones', 'https://z.example.test', 'Asia/Tokyo');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values (900401, '00000000-0000-4000-8000-00000000a001', 1, 'Zone Co');
select tests.authenticate_as(tests.create_user('forger@example.test'));
select set_config('request.jwt.claims', json_build_object(
  'sub', tests.user_id('forger@example.test'), 'role', 'service_role')::text, true);
select is(private.visible_workspace_timezone(900401), null,
  'authenticated with a claim saying service_role does not learn another workspace''s zone');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is(private.visible_workspace_timezone(900401), 'Asia/Tokyo', 'service_role does');

select * from finish();
rollback;
