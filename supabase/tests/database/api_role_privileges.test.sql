-- API roles get no privilege the read model does not need. Reproduction: anon could setval an
-- identity sequence to its maximum (every later insert failed) and use pg_net; a session acting
-- as authenticated with a claim saying service_role read any workspace's time zone.
begin;
select plan(12);

-- anon and authenticated: no sequence, nothing of net.
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

select ok(not has_schema_privilege('anon', 'net', 'usage'), 'anon has no usage on net');
select ok(not has_schema_privilege('authenticated', 'net', 'usage'),
  'authenticated has no usage on net');
select ok(not has_function_privilege('authenticated',
  'net.http_post(text, jsonb, jsonb, jsonb, integer)', 'execute'),
  'authenticated cannot queue a request');
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
