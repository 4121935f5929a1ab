-- Every repair is recorded and announced in one Slack message, once, whoever checks next.
begin;
select plan(7);

insert into public.bison_connections (name, base_url)
values ('Repairing agency', 'https://send.example.test') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client <one>'), (:'conn', 2, null);
select id as ws1 from public.workspaces where connection_id = :'conn' and bison_workspace_id = 1 \gset
select id as ws2 from public.workspaces where connection_id = :'conn' and bison_workspace_id = 2 \gset

select private.record_webhook_subscription_check(:ws1, 'repaired', 11, 'registered again');
select private.record_webhook_subscription_check(:ws2, 'repaired', 12, '1 event(s) were disabled');
select private.record_webhook_subscription_check(:ws2, 'ok', null, null);

select results_eq(
  'select status, bison_webhook_id::int, repaired_at is not null from private.webhook_subscriptions order by workspace_id',
  $$values ('repaired', 11, true), ('ok', 12, true)$$,
  'the last outcome is kept, with the webhook id and when it was last repaired');
select is(private.announce_webhook_repairs(), 2, 'both repairs are announced');
select is((select count(*)::int from private.health_alerts where kind = 'webhook_repairs'), 1,
  'in one Slack message');
select matches(
  (select message ->> 'text' from private.health_alerts where kind = 'webhook_repairs'),
  '2 webhook subscription\(s\) repaired', 'which says how many');
select ok(
  (select message::text like '%Client &lt;one&gt;%Repairing agency%registered again%'
   from private.health_alerts where kind = 'webhook_repairs'),
  'naming each workspace, its connection and what was wrong');
select is(private.announce_webhook_repairs(), 0, 'a second run announces nothing again');
select throws_ok(
  format('select private.record_webhook_subscription_check(%s, %L, null, null)', :ws1, 'fine'),
  '22023', null, 'an unknown outcome is refused');

select * from finish();
rollback;
