-- Members read the provider performance of the connections they belong to and the snapshots of
-- their own workspaces' mailboxes; anon reads nothing; nobody behind the API writes either table
-- or runs the calculation, which is for pg_cron and the function (the database owner).
begin;
select plan(25);

insert into public.bison_connections (name, base_url, timezone)
values ('pp-priv-a', 'https://a.example.test', 'UTC'), ('pp-priv-b', 'https://b.example.test', 'UTC');
insert into public.workspaces (connection_id, bison_workspace_id, name)
select c.id, n, c.name || '-' || n from public.bison_connections c, generate_series(1, 2) n
where c.name like 'pp-priv-%';
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  daily_limit, provider, emails_sent, unique_replies, bounced)
select w.connection_id, w.id, w.id, 'connected', 10, 'Google', 100, 1, 0
from public.workspaces w join public.bison_connections c on c.id = w.connection_id
where c.name like 'pp-priv-%';
select private.calculate_provider_performance(id, '2026-02-01', '2026-02-02 00:05+00')
from public.bison_connections where name like 'pp-priv-%';

-- The member belongs to workspace 1 of connection A only.
insert into public.workspace_members (user_id, workspace_id)
select tests.create_user('pp-member@example.test'), w.id
from public.workspaces w where w.name = 'pp-priv-a-1';
select tests.create_user('pp-outsider@example.test');
create temp table ids as select id as conn_a from public.bison_connections where name = 'pp-priv-a';
grant select on ids to authenticated;

select tests.authenticate_as(tests.user_id('pp-member@example.test'));
select results_eq($$select connection_id from public.provider_performance_history$$,
  $$select conn_a from ids$$, 'a member reads the provider performance of their connection');
select is((select count(*) from public.provider_performance_history), 1::bigint,
  'a member sees one row: their connection''s, not the other connection''s');
select is((select count(*) from public.sender_email_daily_snapshots), 1::bigint,
  'a member sees only the snapshot of their own workspace''s mailbox');
select is(
  (select w.name from public.sender_email_daily_snapshots s
   join public.workspaces w on w.id = s.workspace_id),
  'pp-priv-a-1', '...which is workspace 1 of connection A');
select throws_ok(
  $$insert into public.provider_performance_history (connection_id, day, mailboxes_total,
      mailboxes_connected, mailboxes_disconnected, burnt_mailboxes, emails_sent_day,
      emails_sent_7d, emails_sent_30d, unique_replies_day, unique_replies_7d, unique_replies_30d,
      bounces_day, bounces_7d, bounces_30d, total_daily_limit)
    select connection_id, day + 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    from public.provider_performance_history$$,
  '42501', null, 'a member cannot write provider performance');
select throws_ok($$delete from public.sender_email_daily_snapshots$$, '42501', null,
  'a member cannot delete snapshots');
select throws_ok($$select * from private.provider_performance_runs$$, '42501', null,
  'a member cannot read the run records');
select throws_ok(
  $$select private.calculate_provider_performance(gen_random_uuid(), '2026-02-01')$$,
  '42501', null, 'a member cannot run the calculation');
select throws_ok($$select private.snapshot_sender_emails(gen_random_uuid(), '2026-02-01')$$,
  '42501', null, 'a member cannot take snapshots');
select throws_ok($$select * from private.provider_performance_due()$$, '42501', null,
  'a member cannot list due connections');

select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('pp-outsider@example.test'));
select is_empty($$select 1 from public.provider_performance_history$$,
  'a signed-in user with no membership sees no provider performance');
select is_empty($$select 1 from public.sender_email_daily_snapshots$$,
  '...and no snapshots');

select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$select * from public.provider_performance_history$$, '42501', null,
  'anon cannot read provider performance');
select throws_ok($$select * from public.sender_email_daily_snapshots$$, '42501', null,
  'anon cannot read snapshots');
select throws_ok(
  $$select private.calculate_provider_performance(gen_random_uuid(), '2026-02-01')$$,
  '42501', null, 'anon cannot run the calculation');
select throws_ok($$select private.schedule_provider_performance()$$, '42501', null,
  'anon cannot reschedule it');

select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is((select count(*) from public.provider_performance_history
           where connection_id in (select id from public.bison_connections
                                   where name like 'pp-priv-%')),
  2::bigint, 'service_role reads every connection''s rows');
select is((select count(*) from public.sender_email_daily_snapshots s
           join public.bison_connections c on c.id = s.connection_id
           where c.name like 'pp-priv-%'),
  4::bigint, 'service_role reads every snapshot');
select is((select count(*) from private.provider_performance_runs r
           join public.bison_connections c on c.id = r.connection_id
           where c.name like 'pp-priv-%'),
  2::bigint, 'service_role reads the run records');
select throws_ok($$delete from public.provider_performance_history$$, '42501', null,
  'service_role cannot rewrite history: only the calculation writes it');
select throws_ok($$update public.sender_email_daily_snapshots set emails_sent = 0$$, '42501',
  null, 'service_role cannot change snapshots');
select throws_ok(
  $$select private.calculate_provider_performance(gen_random_uuid(), '2026-02-01')$$,
  '42501', null, 'service_role cannot run the calculation from the API');
select throws_ok($$select * from private.provider_performance_due()$$, '42501', null,
  'service_role cannot list due connections');
select throws_ok($$select private.counter_increase(1, 2)$$, '42501', null,
  'service_role cannot call the counter helper');

select tests.clear_authentication();
select lives_ok(
  $$select private.calculate_provider_performance(id, '2026-02-01', '2026-02-02 00:05+00')
    from public.bison_connections where name = 'pp-priv-a'$$,
  'the database owner (pg_cron, the function) can');

select * from finish();
rollback;
