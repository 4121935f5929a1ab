-- Workspace API keys are readable by nobody behind the API; sync runs by members only; the
-- polling functions are for the service.
begin;
select plan(13);

insert into public.bison_connections (name, base_url) values ('pgtap', 'https://x.example.test');
insert into public.workspaces (connection_id, bison_workspace_id, name)
select id, n, 'W' || n from public.bison_connections, generate_series(1, 2) n where name = 'pgtap';
create temp table ids as
  select (select id from public.workspaces where bison_workspace_id = 1
            and connection_id = (select id from public.bison_connections where name = 'pgtap')) w1,
         (select id from public.workspaces where bison_workspace_id = 2
            and connection_id = (select id from public.bison_connections where name = 'pgtap')) w2;
grant select on ids to authenticated, anon;

select lives_ok($$select private.set_workspace_api_key((select w1 from ids), 'api-key-0123456789')$$,
  'a key is stored');
select is(
  (select s.decrypted_secret from private.workspace_api_keys k
   join vault.decrypted_secrets s on s.id = k.vault_secret_id where k.workspace_id = (select w1 from ids)),
  'api-key-0123456789', 'in Vault');
select lives_ok($$select private.set_workspace_api_key((select w1 from ids), 'api-key-replaced-999')$$,
  'replacing it updates the same secret');
select is((select count(*) from private.workspace_api_keys where workspace_id = (select w1 from ids)),
  1::bigint, 'one key per workspace');
select throws_ok($$select private.set_workspace_api_key((select w1 from ids), 'has space')$$,
  '22023', null, 'a key with spaces is refused');
select throws_ok($$select private.set_workspace_api_key(-1, 'api-key-0123456789')$$,
  'P0002', null, 'an unknown workspace is refused');

insert into public.sender_email_sync_runs (workspace_id, poll_run_id)
select w, gen_random_uuid() from ids, unnest(array[w1, w2]) w;
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('member@example.test'), (select w1 from ids));

select tests.authenticate_as(tests.user_id('member@example.test'));
select results_eq($$select workspace_id from public.sender_email_sync_runs$$,
  $$select w1 from ids$$, 'a member sees only their workspace''s sync runs');
select throws_ok($$select * from private.workspace_api_keys$$, '42501', null,
  'authenticated cannot read the key table');
select throws_ok($$select private.claim_workspace_for_polling(gen_random_uuid())$$, '42501', null,
  'authenticated cannot claim workspaces (and so read keys)');
select ok((select count(*) from public.mailbox_tag_mappings) >= 10,
  'signed-in users read the tag mappings');
select throws_ok($$insert into public.mailbox_tag_mappings (tag_name, provider) values ('X', 'Google')$$,
  '42501', null, 'but cannot change them');

select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$select * from public.mailbox_tag_mappings$$, '42501', null,
  'anon reads no tag mappings');
select throws_ok($$select private.set_workspace_api_key(1, 'api-key-0123456789')$$, '42501', null,
  'anon cannot store keys');

select * from finish();
rollback;
