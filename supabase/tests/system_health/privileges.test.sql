-- Health is visible to agency admins in full and to members for their workspaces; never to anon.
begin;
select plan(7);

insert into public.bison_connections (name, base_url) values ('pgtap', 'https://x.example.test');
insert into public.workspaces (connection_id, bison_workspace_id, name)
select id, n, 'W' || n from public.bison_connections, generate_series(1, 2) n where name = 'pgtap';
create temp table ws as
  select w.bison_workspace_id as n, w.id from public.workspaces w
  join public.bison_connections c on c.id = w.connection_id where c.name = 'pgtap';
grant select on ws to authenticated, anon;
insert into public.system_health (check_name, scope, workspace_id, status, message, checked_at,
                                  changed_at)
select 'webhook_silence', 'workspace:' || id, id, 'healthy', 'x', now(), now() from ws
union all select 'cron_job', 'job:x', null, 'healthy', 'x', now(), now();
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('member@example.test'), (select id from ws where n = 1));
insert into public.agency_admins (user_id) values (tests.create_user('admin@example.test'));
select realtime.send('{"changed": 1}', 'health_updated', 'health', true);
-- What exists in all (a run of the stack's own checks may have left rows behind).
create temp table all_checks as select check_name, scope from public.system_health;
create temp table health_messages as select id from realtime.messages where topic = 'health';
grant select on all_checks, health_messages to authenticated;

select tests.authenticate_as(tests.user_id('member@example.test'));
select results_eq($$select scope from public.system_health$$,
  $$select 'workspace:' || id from ws where n = 1$$, 'a member sees only their workspace''s checks');
select is((select count(*) from realtime.messages where topic = 'health'), 0::bigint,
  'a member does not receive the health topic');
select throws_ok($$select * from private.health_alerts$$, '42501', null,
  'nor read the alert outbox');

select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('admin@example.test'));
select is((select count(*) from public.system_health), (select count(*) from all_checks),
  'an admin sees every check');
select is((select count(*) from realtime.messages where topic = 'health'),
  (select count(*) from health_messages), 'and receives the health topic');

select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$select * from public.system_health$$, '42501', null, 'anon reads nothing');
select throws_ok($$select private.run_health_checks()$$, '42501', null,
  'anon cannot run the checks');

select * from finish();
rollback;
