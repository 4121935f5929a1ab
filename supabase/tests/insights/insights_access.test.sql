-- public.insights: members read their workspaces' insights; nobody behind the API but
-- service_role writes them; anon reads nothing; the stored shape is enforced.
begin;
select plan(13);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000f006', 'insights-access', 'https://send.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values
  (900051, '00000000-0000-4000-8000-00000000f006', 1),
  (900052, '00000000-0000-4000-8000-00000000f006', 2);
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('insights-member@example.test'), 900051);

insert into public.insights (workspace_id, period_days, period_start, period_end, source, model,
  items, facts, requested_by)
values
  (900051, 14, '2026-11-01', '2026-11-15', 'claude', 'claude-sonnet-4-5',
   '[{"key": "k", "value": "v", "metric": "reply_rate", "trend": "up", "fact_ids": ["sends"]}]',
   '[{"id": "sends", "kind": "volume", "numbers": {}}]',
   tests.user_id('insights-member@example.test')),
  (900052, 14, '2026-11-01', '2026-11-15', 'rules', null,
   '[{"key": "k", "value": "v", "metric": "sends", "trend": "neutral", "fact_ids": ["sends"]}]',
   '[]', null);

select tests.authenticate_as_anon();
select throws_ok($$select * from public.insights$$, '42501', null, 'anon cannot read insights');

select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('insights-member@example.test'));
select results_eq(
  $$select workspace_id, source from public.insights where workspace_id in (900051, 900052)$$,
  $$values (900051::bigint, 'claude'::text)$$,
  'a member reads their workspace''s insights only');
select throws_ok($$insert into public.insights (workspace_id, period_days, period_start,
  period_end, source, items, facts) values (900051, 1, '2026-11-01', '2026-11-02', 'rules',
  '[{}]', '[]')$$, '42501', null, 'a member cannot insert insights');
select throws_ok($$update public.insights set items = '[{}]' where workspace_id = 900051$$,
  '42501', null, 'a member cannot change insights');
select throws_ok($$delete from public.insights where workspace_id = 900051$$,
  '42501', null, 'a member cannot delete insights');

select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('insights-outsider@example.test'));
select is_empty($$select 1 from public.insights where workspace_id in (900051, 900052)$$,
  'a non-member reads none');

select tests.clear_authentication();
select tests.authenticate_as_service_role();
select lives_ok($$insert into public.insights (workspace_id, period_days, period_start,
  period_end, source, items, facts) values (900052, 7, '2026-11-08', '2026-11-15', 'rules',
  '[{"key": "k"}]', '[]')$$, 'service_role may write insights');
select is((select count(*)::int from public.insights where workspace_id in (900051, 900052)), 3,
  'service_role reads every workspace''s insights');

select tests.clear_authentication();
select throws_ok($$insert into public.insights (workspace_id, period_days, period_start,
  period_end, source, items, facts) values (900051, 7, '2026-11-08', '2026-11-15', 'rules',
  '[]', '[]')$$, '23514', null, 'at least one insight');
select throws_ok($$insert into public.insights (workspace_id, period_days, period_start,
  period_end, source, items, facts) values (900051, 7, '2026-11-08', '2026-11-15', 'rules',
  '[{},{},{},{},{},{}]', '[]')$$, '23514', null, 'at most five insights');
select throws_ok($$insert into public.insights (workspace_id, period_days, period_start,
  period_end, source, items, facts) values (900051, 7, '2026-11-08', '2026-11-15', 'claude',
  '[{}]', '[]')$$, '23514', null, 'a Claude generation names its model');
select throws_ok($$insert into public.insights (workspace_id, period_days, period_start,
  period_end, source, items, facts) values (900051, 7, '2026-11-08', '2026-11-16', 'rules',
  '[{}]', '[]')$$, '23514', null, 'the period is consistent');
select throws_ok($$insert into public.insights (workspace_id, period_days, period_start,
  period_end, source, model, items, facts) values (900051, 7, '2026-11-08', '2026-11-15',
  'gpt', 'x', '[{}]', '[]')$$, '23514', null, 'source is claude or rules');

select * from finish();
rollback;
