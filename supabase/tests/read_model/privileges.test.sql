-- Every object of the read model as each API role: anon may read none of them; a member reads the
-- rows of their workspace only; a signed-in user who belongs to no workspace reads none; an agency
-- admin and service_role read every workspace's; nobody writes through them. The health history
-- is for agency admins alone.
begin;
select plan(40);

insert into public.bison_connections (id, name, base_url) values
  ('00000000-0000-4000-8000-00000000b101', 'read-model-one', 'https://one.example.test'),
  ('00000000-0000-4000-8000-00000000b102', 'read-model-two', 'https://two.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values
  (901101, '00000000-0000-4000-8000-00000000b101', 1, 'Member''s'),
  (901102, '00000000-0000-4000-8000-00000000b101', 2, 'Neighbour'),
  (901103, '00000000-0000-4000-8000-00000000b102', 1, 'Elsewhere');
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent)
select w, current_date, 10 from unnest(array[901101, 901102, 901103]) w;
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status)
values ('00000000-0000-4000-8000-00000000b101', 1, 901101, 'connected'),
       ('00000000-0000-4000-8000-00000000b101', 2, 901102, 'connected'),
       ('00000000-0000-4000-8000-00000000b102', 3, 901103, 'connected');
insert into public.replies (connection_id, workspace_id, bison_reply_id, received_at)
values ('00000000-0000-4000-8000-00000000b101', 901101, 1, now()),
       ('00000000-0000-4000-8000-00000000b101', 901102, 2, now()),
       ('00000000-0000-4000-8000-00000000b102', 901103, 3, now());
insert into public.system_health
  (check_name, scope, workspace_id, connection_id, status, message, checked_at, changed_at)
values
  ('webhook_silence', 'workspace:901101', 901101, '00000000-0000-4000-8000-00000000b101',
   'healthy', 'fine', now(), now()),
  ('webhook_silence', 'workspace:901102', 901102, '00000000-0000-4000-8000-00000000b101',
   'down', 'silent', now(), now());
insert into private.system_health_history (check_name, scope, status, message, recorded_at)
values ('webhook_silence', 'workspace:901101', 'down', 'silent', now() - interval '1 hour'),
       ('webhook_silence', 'workspace:901101', 'healthy', 'fine', now());

select tests.create_user('rm-member@example.test');
select tests.create_user('rm-outsider@example.test');
select tests.create_user('rm-admin@example.test');
insert into public.workspace_members (user_id, workspace_id)
values (tests.user_id('rm-member@example.test'), 901101);
insert into public.agency_admins (user_id) values (tests.user_id('rm-admin@example.test'));

-- The fixture's workspaces a role sees in a view of the read model.
create function pg_temp.visible(relation text) returns bigint[] language plpgsql as $$
declare
  seen bigint[];
begin
  execute format(
    'select coalesce(array_agg(distinct workspace_id order by workspace_id), ''{}'') from %s '
    'where workspace_id between 901101 and 901103', relation) into seen;
  return seen;
end;
$$;
grant execute on function pg_temp.visible(text) to anon, authenticated, service_role;

create temp table read_model (relation text primary key) on commit drop;
insert into read_model values
  ('public.workspace_kpis'), ('public.workspace_mailbox_health'),
  ('public.mailbox_health_by_provider'), ('public.pipeline_health'), ('public.activity_feed');
grant select on read_model to anon, authenticated, service_role;

-- anon
select tests.authenticate_as_anon();
select throws_ok(format('select pg_temp.visible(%L)', relation), '42501', null,
  'anon cannot read ' || relation)
from read_model order by relation;
select throws_ok($$select pg_temp.visible('public.health_alert_history')$$, '42501', null,
  'anon cannot read public.health_alert_history');
select throws_ok($$select * from public.workspace_daily_series(901101, 7)$$, '42501', null,
  'anon cannot call workspace_daily_series');

-- a member of 901101
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('rm-member@example.test'));
select is(pg_temp.visible(relation), array[901101]::bigint[],
  'a member reads only their workspace in ' || relation)
from read_model order by relation;
select is_empty($$select 1 from public.health_alert_history$$,
  'a member reads no health history');
select is((select count(*)::int from public.workspace_daily_series(901101, 7)), 7,
  'a member calls workspace_daily_series for their workspace');
select throws_ok($$select * from public.workspace_daily_series(901102, 7)$$, '42501',
  'workspace 901102 does not exist or is not visible to the caller',
  'but not for a workspace of the same connection they are not a member of');

-- a signed-in user who is a member of nothing
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('rm-outsider@example.test'));
select is(pg_temp.visible(relation), '{}'::bigint[], 'a non-member reads nothing of ' || relation)
from read_model order by relation;
select is_empty($$select 1 from public.health_alert_history$$,
  'a non-member reads no health history');
select throws_ok($$select * from public.workspace_daily_series(901101, 7)$$, '42501', null,
  'a non-member cannot read a workspace''s daily series');

-- an agency admin
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('rm-admin@example.test'));
select is(pg_temp.visible(relation), array[901101, 901102, 901103]::bigint[],
  'an agency admin reads every workspace in ' || relation)
from read_model order by relation;
select is(pg_temp.visible('public.health_alert_history'), array[901101]::bigint[],
  'an agency admin reads the health history');
select is((select count(*)::int from public.workspace_daily_series(901103, 7)), 7,
  'an agency admin reads any workspace''s daily series');

-- service_role
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is(pg_temp.visible(relation), array[901101, 901102, 901103]::bigint[],
  'service_role reads every workspace in ' || relation)
from read_model order by relation;
select is(pg_temp.visible('public.health_alert_history'), array[901101]::bigint[],
  'service_role reads the health history');
select is((select count(*)::int from public.workspace_daily_series(901102, 7)), 7,
  'service_role reads any workspace''s daily series');

-- Nobody writes through the read model: no API role holds a write privilege, and the views are
-- not updatable whoever tries.
select tests.clear_authentication();
insert into read_model values ('public.health_alert_history');
select is(
  array(select r.relation || ' ' || api_role from read_model r
        cross join unnest(array['anon', 'authenticated', 'service_role']) api_role
        where has_table_privilege(api_role, r.relation, 'insert,update,delete,truncate')
        order by 1),
  array[]::text[], 'no API role may write to a view of the read model');
select is(
  array(select r.relation from read_model r
        where pg_catalog.pg_relation_is_updatable(r.relation::regclass, false) <> 0 order by 1),
  array[]::text[], 'no view of the read model is updatable');
select tests.authenticate_as_service_role();
select throws_ok($$delete from public.workspace_kpis$$, '55000', null,
  'even service_role cannot delete through workspace_kpis');
select throws_ok($$update public.pipeline_health set sync_running = true$$, '55000', null,
  'nor update pipeline_health');
select tests.clear_authentication();

select * from finish();
rollback;
