-- Targets are set by agency admins only (and server code as service_role), through
-- public.set_workspace_target; members read their workspaces' targets; bad input changes nothing.
begin;
select plan(26);

select tests.create_workspaces_and_people('Target agency', 920201, 920202);
select date_trunc('month', now() at time zone 'UTC')::date as this_month \gset

select tests.authenticate_as_anon();
select throws_ok($$select public.set_workspace_target(920201, 'interested', 40)$$, '42501', null,
  'anon cannot set a target');
select throws_ok($$select * from public.workspace_targets$$, '42501', null,
  'anon cannot read targets');
select tests.clear_authentication();

select tests.authenticate_as(tests.user_id('member@example.test'));
select throws_ok($$select public.set_workspace_target(920201, 'interested', 40)$$, '42501',
  'only agency admins set targets and sending days',
  'a member of the workspace cannot set its target');
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('outsider@example.test'));
select throws_ok($$select public.set_workspace_target(920201, 'interested', 40)$$, '42501', null,
  'a member of another workspace cannot either');
select tests.clear_authentication();

select tests.authenticate_as(tests.user_id('admin@example.test'));
select results_eq(
  $$select workspace_id, month, metric, target, set_by
    from public.set_workspace_target(920201, 'interested', 40)$$,
  format($$values (920201::bigint, %L::date, 'interested'::text, 40::numeric, %L::uuid)$$,
    :'this_month', tests.user_id('admin@example.test')),
  'an agency admin sets this month''s target, recorded as set by them');
select lives_ok($$select public.set_workspace_target(920201, 'interested', 45)$$,
  'and may change it');
select lives_ok(
  format($$select public.set_workspace_target(920201, 'emails_sent', 20000, %L)$$,
         (:'this_month'::date + 14)),
  'any day of a month stands for that month');
select lives_ok(
  format($$select public.set_workspace_target(920201, 'interested', 30, %L)$$,
         (:'this_month'::date - 1)),
  'a target for last month');
select throws_ok($$update public.workspace_targets set target = 1$$, '42501', null,
  'not even an admin writes the table directly');
select tests.clear_authentication();

select results_eq(
  $$select month, metric, target from public.workspace_targets where workspace_id = 920201
    order by month, metric$$,
  format($$values (%L::date, 'interested'::text, 30::numeric),
                  (%L::date, 'emails_sent'::text, 20000::numeric),
                  (%L::date, 'interested'::text, 45::numeric)$$,
    (:'this_month'::date - interval '1 month')::date, :'this_month', :'this_month'),
  'one row per month and metric: setting again replaces it, other months stay as history');

select tests.authenticate_as_service_role();
select results_eq(
  $$select target, set_by from public.set_workspace_target(920202, 'replies', 12.5)$$,
  $$values (12.5::numeric, null::uuid)$$, 'service_role sets targets too (set by no user)');
select throws_ok($$insert into public.workspace_targets (workspace_id, month, metric, target)
                   values (920202, date '2026-01-01', 'replies', 1)$$, '42501', null,
  'service_role does not write the table directly either');
select tests.clear_authentication();

-- Bad input: a clear error, nothing changed.
select tests.authenticate_as(tests.user_id('admin@example.test'));
select throws_ok($$select public.set_workspace_target(920201, 'meetings', 5)$$, '22023', null,
  'a metric that is no day counter');
select throws_ok($$select public.set_workspace_target(920201, 'source', 5)$$, '22023', null,
  'a column of the day row that is no counter');
select throws_ok($$select public.set_workspace_target(920201, null, 5)$$, '22023', null,
  'no metric');
select throws_ok($$select public.set_workspace_target(920201, 'replies', 0)$$, '22023', null,
  'a target of 0');
select throws_ok($$select public.set_workspace_target(920201, 'replies', -3)$$, '22023', null,
  'a negative target');
select throws_ok($$select public.set_workspace_target(920201, 'replies', 'NaN')$$, '22023', null,
  'NaN');
select throws_ok($$select public.set_workspace_target(920201, 'replies', 'Infinity')$$, '22023',
  null, 'Infinity');
select throws_ok($$select public.set_workspace_target(920201, 'replies', null)$$, '22023', null,
  'no target');
select throws_ok($$select public.set_workspace_target(999999, 'replies', 5)$$, '22023', null,
  'an unknown workspace');
select tests.clear_authentication();
select is((select count(*) from public.workspace_targets), 4::bigint, 'none of them wrote a row');

-- Who reads what.
select tests.authenticate_as(tests.user_id('member@example.test'));
select is((select count(*) from public.workspace_targets), 3::bigint,
  'a member reads their workspace''s targets, every month');
select is((select count(*) from public.workspace_targets where workspace_id = 920202), 0::bigint,
  'and none of another workspace');
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('admin@example.test'));
select is((select count(*) from public.workspace_targets), 4::bigint,
  'an agency admin reads every workspace''s targets');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is((select count(*) from public.workspace_targets), 4::bigint, 'service_role reads them all');
select tests.clear_authentication();

select * from finish();
rollback;
