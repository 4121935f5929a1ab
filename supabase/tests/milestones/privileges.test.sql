-- Milestones are read by the workspace's members (and agency admins), received on the private
-- topic workspace:<id>:milestones by the same people, and written by nobody but the database.
begin;
select plan(13);
set constraints public.workspace_daily_metrics_milestones, public.workspace_targets_milestones
  immediate;

select tests.create_workspaces_and_people('Milestone rights', 920601, 920602);
select private.set_workspace_target(920601, 'interested', 4, null, null);
insert into public.workspace_daily_metrics (workspace_id, day, interested)
values (920601, (now() at time zone 'UTC')::date, 1);
select is((select count(*) from public.workspace_milestones), 1::bigint, 'a milestone reached');

select tests.authenticate_as_anon();
select throws_ok($$select * from public.workspace_milestones$$, '42501', null,
  'anon cannot read milestones');
select is((select count(*) from realtime.messages where topic = 'workspace:920601:milestones'),
  0::bigint, 'nor receive them');
select tests.clear_authentication();

select tests.authenticate_as(tests.user_id('member@example.test'));
select is((select count(*) from public.workspace_milestones), 1::bigint,
  'a member reads their workspace''s milestones');
select is((select count(*) from realtime.messages where topic = 'workspace:920601:milestones'),
  1::bigint, 'and receives the broadcast');
select throws_ok($$insert into public.workspace_milestones
                   (workspace_id, month, metric, threshold_pct, value, target)
                   values (920601, date '2026-01-01', 'interested', 10, 1, 1)$$, '42501', null,
  'but cannot record one');
select throws_ok($$select private.record_milestones(920601, date '2026-01-01')$$, '42501', null,
  'nor run the evaluation');
select tests.clear_authentication();

select tests.authenticate_as(tests.user_id('outsider@example.test'));
select is_empty($$select * from public.workspace_milestones$$,
  'a member of another workspace reads none');
select is((select count(*) from realtime.messages where topic = 'workspace:920601:milestones'),
  0::bigint, 'and receives none');
select tests.clear_authentication();

select tests.authenticate_as(tests.user_id('admin@example.test'));
select is((select count(*) from realtime.messages where topic = 'workspace:920601:milestones'),
  1::bigint, 'an agency admin receives every workspace''s milestones');
select tests.clear_authentication();

select tests.authenticate_as_service_role();
select is((select count(*) from public.workspace_milestones), 1::bigint,
  'service_role reads milestones');
select throws_ok($$delete from public.workspace_milestones$$, '42501', null,
  'service_role cannot delete them');
select throws_ok($$select private.record_milestones(920601, date '2026-01-01')$$, '42501', null,
  'nor run the evaluation');
select tests.clear_authentication();

select * from finish();
rollback;
