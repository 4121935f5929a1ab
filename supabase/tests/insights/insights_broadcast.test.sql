-- A stored insight is broadcast privately on workspace:<id>:insights (event insights_generated),
-- and the existing realtime.messages policy lets only the workspace's members receive it.
begin;
select plan(5);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000f007', 'insights-broadcast', 'https://send.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values (900061, '00000000-0000-4000-8000-00000000f007', 1);
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('broadcast-member@example.test'), 900061);
select tests.create_user('broadcast-outsider@example.test');

insert into public.insights (workspace_id, period_days, period_start, period_end, source, items,
  facts)
values (900061, 14, '2026-11-01', '2026-11-15', 'rules',
  '[{"key": "Sending volume", "value": "v", "metric": "emails_sent", "trend": "up",
     "fact_ids": ["sends"]}]',
  '[{"id": "sends", "kind": "volume", "numbers": {"current": 5}}]');

select results_eq(
  $$select event, private, extension from realtime.messages
    where topic = 'workspace:900061:insights'$$,
  $$values ('insights_generated'::text, true, 'broadcast'::text)$$,
  'one private broadcast on the workspace''s insights topic');
select is(
  (select payload - 'created_at' from realtime.messages where topic = 'workspace:900061:insights'),
  (select jsonb_build_object('id', i.id, 'workspace_id', 900061, 'campaign_id', null,
     'period_days', 14, 'period_start', '2026-11-01', 'period_end', '2026-11-15',
     'source', 'rules', 'model', null, 'items', i.items)
   from public.insights i where i.workspace_id = 900061),
  'the payload carries the insights, not the facts');

select tests.authenticate_as(tests.user_id('broadcast-member@example.test'));
select is((select count(*)::int from realtime.messages where topic = 'workspace:900061:insights'),
  1, 'a member may receive it');

select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('broadcast-outsider@example.test'));
select is((select count(*)::int from realtime.messages where topic = 'workspace:900061:insights'),
  0, 'a non-member may not');

select tests.clear_authentication();
select tests.authenticate_as_anon();
select is((select count(*)::int from realtime.messages where topic = 'workspace:900061:insights'),
  0, 'nor may anon');

select * from finish();
rollback;
