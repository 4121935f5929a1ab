-- Polling in slices: an inventory a slice cannot finish is checkpointed (its pages staged, its
-- next page recorded) and the next slice continues it first; nothing reaches sender_emails until
-- the whole inventory is in; the stalest workspace goes first; a failure drops what was staged;
-- one slice at a time serves a connection.
begin;
select plan(16);

select connection_id as conn, workspace_id as stale from tests.create_polled_workspace('slices')
\gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 2, 'Fresh Co') returning id as fresh \gset
select private.set_workspace_api_key(:fresh, 'api-key-fresh-0123456789');
insert into private.workspace_poll_state (workspace_id, next_poll_at, last_complete_sync_at)
values (:stale, now() - interval '1 minute', now() - interval '2 hours'),
       (:fresh, now() - interval '1 hour', now() - interval '1 minute')
on conflict (workspace_id) do update
  set next_poll_at = excluded.next_poll_at, last_complete_sync_at = excluded.last_complete_sync_at;

-- A slice leases the connection, then its stalest due workspace.
select is((select connection_id from private.claim_connection_for_polling(
            '00000000-0000-4000-8000-000000000001', 60)), :'conn'::uuid,
  'a slice leases the connection with a due workspace');
select is_empty($$select * from private.claim_connection_for_polling(
                  '00000000-0000-4000-8000-000000000002', 60)$$,
  'another slice finds it leased: one slice per connection');
create temp table first_claim as
  select * from private.claim_workspace_for_polling('00000000-0000-4000-8000-000000000001', 60,
                                                    :'conn');
select is((select workspace_id from first_claim), :stale::bigint,
  'the workspace longest without a complete sync goes first, though due later');
select is((select resume_url from first_claim), null, 'from its first page');

-- The slice stops after 2 of 3 pages: it checkpoints.
select private.checkpoint_workspace_poll((select sync_run_id from first_claim),
  tests.rest_mailboxes(30, 1), 'https://slices.example.test/api/sender-emails?page=3', 2, 30);
select is((select count(*)::int from public.sender_emails where workspace_id = :stale), 0,
  'nothing is written while the inventory is incomplete');
select results_eq(
  $$select lease_owner is null, next_poll_at <= now(), resume_url, resume_pages, resume_fetched
    from private.workspace_poll_state where workspace_id = $$ || :stale,
  $$values (true, true, 'https://slices.example.test/api/sender-emails?page=3', 2, 30)$$,
  'its lease is released, it is due at once, and where to resume is recorded');
select results_eq(
  $$select pages, mailboxes_seen, finished_at is null from public.sender_email_sync_runs
    where id = $$ || (select sync_run_id from first_claim),
  $$values (2, 30, true)$$, 'its sync run shows the progress and is still open');

-- The next slice continues it first, in the same sync run.
update private.workspace_poll_state set last_complete_sync_at = now() where workspace_id = :stale;
create temp table second_claim as
  select * from private.claim_workspace_for_polling('00000000-0000-4000-8000-000000000003', 60,
                                                    :'conn');
select results_eq('select workspace_id, sync_run_id, resume_url, resume_pages, resume_fetched '
                  'from second_claim',
  format($$values (%s::bigint, %s::bigint, %L, 2, 30)$$, :stale,
         (select sync_run_id from first_claim),
         'https://slices.example.test/api/sender-emails?page=3'),
  'an inventory in progress is continued first, where it stopped, in the same sync run');
select * from private.apply_staged_sender_email_snapshot(
  (select sync_run_id from second_claim), tests.rest_mailboxes(5, 31));
select is((select count(*)::int from public.sender_emails where workspace_id = :stale), 35,
  'once complete, the staged pages and the last are written together');
select is_empty(
  format('select 1 from private.sender_email_inventory_pages where sync_run_id = %s',
         (select sync_run_id from first_claim)),
  'and nothing stays staged');
select private.finish_workspace_poll((select sync_run_id from second_claim), 3, 35, 35, 0, true,
                                     null);
select results_eq(
  $$select resume_url, consecutive_failures, last_complete_sync_at is not null
    from private.workspace_poll_state where workspace_id = $$ || :stale,
  $$values (null::text, 0, true)$$, 'the finished run leaves nothing to resume');

-- A failure drops what was staged: the next try starts again from the first page.
create temp table third_claim as
  select * from private.claim_workspace_for_polling('00000000-0000-4000-8000-000000000004', 60,
                                                    :'conn');
select is((select workspace_id from third_claim), :fresh::bigint, 'setup: the other workspace');
select private.checkpoint_workspace_poll((select sync_run_id from third_claim),
  tests.rest_mailboxes(15, 100), '/api/sender-emails?page=2', 1, 15);
create temp table fourth_claim as
  select * from private.claim_workspace_for_polling('00000000-0000-4000-8000-000000000005', 60,
                                                    :'conn');
select private.finish_workspace_poll((select sync_run_id from fourth_claim), 2, 20, 0, 0, false,
                                     'GET /api/sender-emails: 500 after 4 attempts');
select is_empty(
  format('select 1 from private.sender_email_inventory_pages where sync_run_id = %s',
         (select sync_run_id from third_claim)),
  'a failed inventory''s staged pages are dropped');
select results_eq(
  $$select resume_url, consecutive_failures, next_poll_at > now() + interval '50 seconds'
    from private.workspace_poll_state where workspace_id = $$ || :fresh,
  $$values (null::text, 1, true)$$, 'and it starts from the first page next time, after a wait');

-- The slice releases the connection: the next slice may lease it.
select is(private.release_connection_for_polling('00000000-0000-4000-8000-000000000001',
  :'conn', 40, 0, null), 'closed',
  'releasing a connection that answered keeps its breaker closed');
update private.workspace_poll_state set next_poll_at = now() - interval '1 second'
where workspace_id = :stale;
select is((select connection_id from private.claim_connection_for_polling(
            '00000000-0000-4000-8000-000000000006', 60)), :'conn'::uuid,
  'the next slice leases it');

select * from finish();
rollback;
