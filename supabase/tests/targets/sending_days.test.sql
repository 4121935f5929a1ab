-- Each workspace's sending days (Monday to Friday by default) are set by agency admins (and
-- service_role) through public.set_workspace_sending_days; bad input changes nothing.
begin;
select plan(15);

select tests.create_workspaces_and_people('Days agency', 920301, 920302);

select is((select sending_weekdays from public.workspaces where id = 920301), '{1,2,3,4,5}'::integer[],
  'a workspace sends Monday to Friday unless told otherwise');

select tests.authenticate_as_anon();
select throws_ok($$select public.set_workspace_sending_days(920301, '{1,2,3}')$$, '42501', null,
  'anon cannot set sending days');
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('member@example.test'));
select throws_ok($$select public.set_workspace_sending_days(920301, '{1,2,3}')$$, '42501', null,
  'a member cannot');
select throws_ok($$update public.workspaces set sending_weekdays = '{1}' where id = 920301$$,
  '42501', null, 'nor write the column directly');
select is((select sending_weekdays from public.workspaces where id = 920301),
  '{1,2,3,4,5}'::integer[], 'but reads it with the workspace');
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('outsider@example.test'));
select throws_ok($$select public.set_workspace_sending_days(920301, '{1,2,3}')$$, '42501', null,
  'a member of another workspace cannot');
select tests.clear_authentication();

select tests.authenticate_as(tests.user_id('admin@example.test'));
select is(public.set_workspace_sending_days(920301, '{6,1,2,2,3}'), '{1,2,3,6}'::integer[],
  'an agency admin sets them; duplicates dropped, sorted');
select throws_ok($$select public.set_workspace_sending_days(920301, '{}')$$, '22023', null,
  'at least one day');
select throws_ok($$select public.set_workspace_sending_days(920301, '{0,1}')$$, '22023', null,
  'no day 0');
select throws_ok($$select public.set_workspace_sending_days(920301, '{1,8}')$$, '22023', null,
  'no day 8');
select throws_ok($$select public.set_workspace_sending_days(920301, '{1,null}')$$, '22023', null,
  'no unknown day');
select throws_ok($$select public.set_workspace_sending_days(920301, null)$$, '22023', null,
  'no list');
select throws_ok($$select public.set_workspace_sending_days(999999, '{1}')$$, '22023', null,
  'an unknown workspace');
select tests.clear_authentication();
select is((select sending_weekdays from public.workspaces where id = 920301), '{1,2,3,6}'::integer[],
  'bad input changed nothing');

select tests.authenticate_as_service_role();
select is(public.set_workspace_sending_days(920302, '{7}'), '{7}'::integer[],
  'service_role sets them too');
select tests.clear_authentication();

select * from finish();
rollback;
