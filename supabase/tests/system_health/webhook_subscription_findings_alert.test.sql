-- The webhook subscription checks are health checks like the others: a repair that failed reaches
-- public.system_health and Slack. Reproduction: private.webhook_subscription_findings said down,
-- but the health evaluation never read it, so nothing was stored or announced.
begin;
select plan(4);

select * from tests.create_polled_workspace('subscriptions') \gset
select private.record_webhook_subscription_check(:workspace_id, 'failed', null,
  'POST /api/webhook-url: the API key was refused (403)');

select results_eq(
  format($$select status, message from private.evaluate_health_checks()
           where check_name = 'webhook_subscription' and workspace_id = %s$$, :workspace_id),
  $$values ('down'::text,
    'the webhook subscription could not be repaired: POST /api/webhook-url: the API key was refused (403)'::text)$$,
  'the health evaluation includes the webhook subscription finding');

select private.run_health_checks();
select is(
  (select status from public.system_health
   where check_name = 'webhook_subscription' and workspace_id = :workspace_id),
  'down', 'it is stored in public.system_health');
select ok(
  (select message::text from private.health_alerts where kind = 'problems'
   order by id desc limit 1) ~ 'webhook_subscription',
  'and announced among the new problems');

select private.record_webhook_subscription_check(:workspace_id, 'ok', 7, null);
select private.run_health_checks();
select is(
  (select status from public.system_health
   where check_name = 'webhook_subscription' and workspace_id = :workspace_id),
  'healthy', 'a later good check turns it healthy');

select * from finish();
rollback;
