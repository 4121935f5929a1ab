-- A poll run whose lease expired and was taken over must not write its (older) inventory.
begin;
select plan(3);

insert into public.bison_connections (name, base_url) values ('pgtap', 'https://x.example.test');
insert into public.workspaces (connection_id, bison_workspace_id, name)
select id, 1, 'W1' from public.bison_connections where name = 'pgtap';
create temp table ws as
  select w.id from public.workspaces w join public.bison_connections c on c.id = w.connection_id
  where c.name = 'pgtap';
select private.set_workspace_api_key((select id from ws), 'api-key-0123456789');
update private.workspace_poll_state set next_poll_at = now() - interval '1 hour'
where workspace_id = (select id from ws);
insert into private.workspace_poll_state (workspace_id, next_poll_at)
select id, now() - interval '1 hour' from ws on conflict (workspace_id) do nothing;

create temp table claimed as
  select * from private.claim_workspace_for_polling('00000000-0000-4000-8000-000000000001')
  where workspace_id = (select id from ws);
select is((select count(*) from claimed), 1::bigint, 'the first run holds the lease');

-- Its lease runs out and a second run takes the workspace over.
update private.workspace_poll_state set lease_expires_at = now() - interval '1 second'
where workspace_id = (select id from ws);
select private.claim_workspace_for_polling('00000000-0000-4000-8000-000000000002');

select throws_ok(
  format($$select * from private.apply_sender_email_snapshot(%s, '[{"id": 1, "email": "a@b.c"}]')$$,
         (select sync_run_id from claimed)),
  '55P03', null, 'the first run''s snapshot is refused');
select is((select count(*) from public.sender_emails where workspace_id = (select id from ws)),
  0::bigint, 'and nothing was written');

select * from finish();
rollback;
