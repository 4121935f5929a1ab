-- Who may gather facts: the function runs as the caller (security invoker), so a member gets
-- their workspace's facts, a non-member is refused rather than handed zeros, anon cannot call it,
-- and service_role (scheduled generation) reads any workspace.
begin;
select plan(14);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000f002', 'facts-privileges', 'https://send.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id, name, timezone)
overriding system value values
  (900011, '00000000-0000-4000-8000-00000000f002', 1, 'Member Co', 'Europe/Paris');
insert into public.campaigns (id, workspace_id, bison_campaign_id, name)
overriding system value values (910011, 900011, 1, 'Alpha');
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies)
values (900011, '2026-11-10', 100, 3);
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('facts-member@example.test'), 900011);
select tests.create_user('facts-outsider@example.test');

-- anon
select tests.authenticate_as_anon();
select throws_ok($$select * from public.workspace_insight_facts(900011, null, 7, '2026-11-15')$$,
  '42501', null, 'anon cannot execute the facts function');
select throws_ok($$select private.visible_workspace_timezone(900011)$$,
  '42501', null, 'anon cannot read a workspace time zone');

-- a member
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('facts-member@example.test'));
select is(
  (select numbers from public.workspace_insight_facts(900011, null, 7, '2026-11-15')
   where fact_id = 'sends'),
  '{"current": 100, "previous": 0, "change": 100, "change_pct": null, "trend": "up",
    "trend_threshold_pct": 5}'::jsonb,
  'a member gets the facts of their workspace');
select is(
  (select count(*)::int from public.workspace_insight_facts(null, 910011, 7, '2026-11-15')),
  9, 'and of its campaigns (period, 5 volumes, 3 rates: nothing else has data)');
select is(private.visible_workspace_timezone(900011), 'Europe/Paris',
  'a member reads the workspace time zone');
select is(private.percent_of(3, 200), 1.50, 'percent_of is callable and rounds to 2 decimals');
select is(private.percent_of(3, 0), null, 'percent_of is null on zero volume');

-- a non-member
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('facts-outsider@example.test'));
select throws_ok($$select * from public.workspace_insight_facts(900011, null, 7, '2026-11-15')$$,
  '42501', 'workspace 900011 does not exist or is not visible to the caller',
  'a non-member is refused, not given zeros');
select throws_ok($$select * from public.workspace_insight_facts(null, 910011, 7, '2026-11-15')$$,
  '42501', 'campaign 910011 does not exist or is not visible to the caller',
  'a non-member is refused a campaign of the workspace');
select is(private.visible_workspace_timezone(900011), null,
  'a non-member does not learn the workspace time zone');
select throws_ok($$select * from public.workspace_insight_facts(999999999, null, 7, null)$$,
  '42501', null, 'a workspace that does not exist looks the same as one that is not yours');

-- service_role
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is(
  (select numbers ->> 'current' from public.workspace_insight_facts(900011, null, 7, '2026-11-15')
   where fact_id = 'replies'),
  '3', 'service_role (scheduled generation) reads any workspace');
select is(private.visible_workspace_timezone(900011), 'Europe/Paris',
  'service_role reads the time zone');

select tests.clear_authentication();
select is(
  array(select p.proname::text from pg_catalog.pg_proc p
        where p.pronamespace = 'public'::regnamespace and p.proname = 'workspace_insight_facts'
          and p.prosecdef),
  array[]::text[], 'the facts function is security invoker, so RLS decides');

select * from finish();
rollback;
