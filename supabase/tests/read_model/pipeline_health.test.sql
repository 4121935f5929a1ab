-- public.pipeline_health per workspace: webhook freshness, the worst webhook check (a connection's
-- as well as the workspace's own), the subscription's last check and proof, the inventory sync and
-- open alerts; and what a member sees of it.
begin;
select plan(7);

insert into public.bison_connections (id, name, base_url) values
  ('00000000-0000-4000-8000-00000000b501', 'pipeline-one', 'https://p1.example.test'),
  ('00000000-0000-4000-8000-00000000b502', 'pipeline-two', 'https://p2.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values
  (901501, '00000000-0000-4000-8000-00000000b501', 1),
  (901502, '00000000-0000-4000-8000-00000000b501', 2),
  (901503, '00000000-0000-4000-8000-00000000b502', 1);

insert into private.webhook_events (connection_id, workspace_id, event_type, idempotency_key,
  payload, received_at, occurred_at, status)
values ('00000000-0000-4000-8000-00000000b501', 901501, 'email_sent', 'pipeline-1', '{}',
        now() - interval '10 minutes', now() - interval '10 minutes', 'processed'),
       ('00000000-0000-4000-8000-00000000b501', 901501, 'email_sent', 'pipeline-2', '{}',
        now() - interval '2 days', now() - interval '2 days', 'processed');

insert into public.system_health
  (check_name, scope, workspace_id, connection_id, status, message, checked_at, changed_at)
values
  ('webhook_silence', 'workspace:901501', 901501, '00000000-0000-4000-8000-00000000b501',
   'healthy', 'fine', now(), now()),
  ('webhook_failures', 'workspace:901501', 901501, '00000000-0000-4000-8000-00000000b501',
   'degraded', '3 failed', now(), now()),
  ('mailbox_sync', 'workspace:901501', 901501, '00000000-0000-4000-8000-00000000b501',
   'down', 'stale', now(), now()),
  ('webhook_rejections', 'connection:00000000-0000-4000-8000-00000000b501', null,
   '00000000-0000-4000-8000-00000000b501', 'down', '40 refused', now(), now()),
  ('mailbox_sync', 'workspace:901503', 901503, '00000000-0000-4000-8000-00000000b502',
   'degraded', 'stale', now(), now()),
  ('webhook_silence', 'workspace:901503', 901503, '00000000-0000-4000-8000-00000000b502',
   'healthy', 'fine', now(), now());

insert into private.webhook_subscriptions (workspace_id, status, checked_at, verified_at,
  verified_token_sha256)
values (901501, 'repaired', now() - interval '5 minutes', now() - interval '1 day', 'abc');
insert into private.workspace_poll_state (workspace_id, lease_owner, lease_expires_at,
  last_complete_sync_at)
values (901501, gen_random_uuid(), now() + interval '1 minute', now() - interval '4 minutes'),
       (901502, gen_random_uuid(), now() - interval '1 minute', null);

create temp table expected on commit drop as
select * from (values
  (901501::bigint, now() - interval '10 minutes', 1::bigint, 'down', 'repaired',
   now() - interval '5 minutes', now() - interval '1 day', now() - interval '4 minutes', true,
   3::bigint),
  (901502, null, 0, 'down', null, null, null, null, false, 1),
  (901503, null, 0, 'healthy', null, null, null, null, false, 1)
) v(workspace_id, last_event_at, events_24h, webhook_status, webhook_subscription_status,
    webhook_subscription_checked_at, webhook_subscription_verified_at, last_complete_sync_at,
    sync_running, open_alerts);
grant select on expected to authenticated;

select results_eq(
  $$select workspace_id, last_event_at, events_24h, webhook_status, webhook_subscription_status,
           webhook_subscription_checked_at, webhook_subscription_verified_at,
           last_complete_sync_at, sync_running, open_alerts
    from public.pipeline_health where workspace_id between 901501 and 901503
    order by workspace_id$$,
  $$select * from expected order by workspace_id$$,
  'freshness, worst webhook check (the connection''s included), subscription, sync and alerts');

delete from public.system_health where workspace_id = 901503;
select is((select webhook_status from public.pipeline_health where workspace_id = 901503),
  'unknown', 'unknown before any webhook check ran');

select is(
  (select connection_id from public.pipeline_health where workspace_id = 901502),
  '00000000-0000-4000-8000-00000000b501'::uuid, 'rows name their connection');

-- A member of 901502 sees the connection-wide alert about their workspace's connection.
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('pipeline-member@example.test'), 901502);
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('pipeline-other@example.test'), 901503);
select tests.authenticate_as(tests.user_id('pipeline-member@example.test'));
select results_eq(
  $$select workspace_id, webhook_status, open_alerts, sync_running from public.pipeline_health$$,
  $$select workspace_id, webhook_status, open_alerts, sync_running from expected
    where workspace_id = 901502$$,
  'a member reads their workspace''s row, the connection''s checks counted');
select results_eq(
  $$select check_name, scope from public.system_health$$,
  $$values ('webhook_rejections', 'connection:00000000-0000-4000-8000-00000000b501')$$,
  'and reads that connection''s check in system_health, but no other workspace''s');

select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('pipeline-other@example.test'));
select is_empty(
  $$select 1 from public.system_health where connection_id = '00000000-0000-4000-8000-00000000b501'$$,
  'a member of another connection''s workspace reads nothing of that connection');
select is_empty(
  $$select 1 from public.pipeline_health where workspace_id in (901501, 901502)$$,
  'nor its workspaces'' pipeline');

select * from finish();
rollback;
