-- The webhook subscription findings, shaped as health check results: down when a repair failed,
-- degraded when checks stopped, healthy otherwise; none for a disconnected connection.
begin;
select plan(5);

insert into public.bison_connections (name, base_url)
values ('Findings agency', 'https://send.example.test') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id)
select :'conn', n from generate_series(1, 4) n;
select private.set_workspace_api_key(w.id, 'key-' || w.bison_workspace_id || '-abcdefgh')
from public.workspaces w where w.connection_id = :'conn';
create temp table ws as
  select bison_workspace_id as n, id from public.workspaces where connection_id = :'conn';

select private.record_webhook_subscription_check((select id from ws where n = 1), 'ok', 1, null);
select private.record_webhook_subscription_check((select id from ws where n = 2), 'failed', null,
  'POST /api/webhook-url: the API key was refused (403)');
select private.record_webhook_subscription_check((select id from ws where n = 3), 'repaired', 3,
  'registered again');
select private.record_webhook_subscription_check((select id from ws where n = 4), 'ok', 4, null);
update private.webhook_subscriptions set checked_at = now() - interval '31 minutes'
where workspace_id = (select id from ws where n = 4);

select results_eq(
  $$select f.check_name, ws.n::int, f.status from private.webhook_subscription_findings() f
    join ws on ws.id = f.workspace_id order by ws.n$$,
  $$values ('webhook_subscription', 1, 'healthy'), ('webhook_subscription', 2, 'down'),
           ('webhook_subscription', 3, 'healthy'), ('webhook_subscription', 4, 'degraded')$$,
  'failed is down, not checked for three intervals is degraded');
select matches(
  (select message from private.webhook_subscription_findings()
   where workspace_id = (select id from ws where n = 2)),
  'could not be repaired: POST /api/webhook-url', 'a failure says why');
select ok(
  (select array_agg(scope) from private.webhook_subscription_findings())
    @> array['workspace:' || (select id from ws where n = 1)],
  'scoped per workspace like the other checks');
select lives_ok(
  $$select array(select r::private.health_check_result from private.webhook_subscription_findings() r)$$,
  'rows are private.health_check_result');

select private.disconnect_connection(:'conn');
select is_empty($$select * from private.webhook_subscription_findings()$$,
  'a disconnected connection has no findings');

select * from finish();
rollback;
