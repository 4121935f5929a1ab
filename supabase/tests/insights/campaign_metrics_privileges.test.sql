-- public.campaign_metrics as each API role: anon has no access, a member sees their workspaces'
-- campaigns only, service_role sees all.
begin;
select plan(4);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000f005', 'campaign-metrics-privileges',
        'https://send.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values
  (900041, '00000000-0000-4000-8000-00000000f005', 1),
  (900042, '00000000-0000-4000-8000-00000000f005', 2);
insert into public.campaigns (id, workspace_id, bison_campaign_id)
overriding system value values (910041, 900041, 1), (910042, 900042, 2);
insert into public.campaign_daily_metrics (campaign_id, workspace_id, day, emails_sent, replies)
values (910041, 900041, current_date, 10, 1), (910042, 900042, current_date, 20, 2);
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('metrics-member@example.test'), 900041);

select tests.authenticate_as_anon();
select throws_ok($$select * from public.campaign_metrics$$, '42501', null,
  'anon cannot read campaign_metrics');

select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('metrics-member@example.test'));
select results_eq(
  $$select campaign_id, emails_sent::int, reply_rate_pct from public.campaign_metrics
    where campaign_id in (910041, 910042)$$,
  $$values (910041::bigint, 10, 10.00::numeric)$$,
  'a member sees only their workspace''s campaign, with its rates');

select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('metrics-outsider@example.test'));
select is_empty($$select 1 from public.campaign_metrics where campaign_id in (910041, 910042)$$,
  'a non-member sees nothing');

select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.campaign_metrics
           where campaign_id in (910041, 910042)), 2, 'service_role sees every campaign');

select * from finish();
rollback;
