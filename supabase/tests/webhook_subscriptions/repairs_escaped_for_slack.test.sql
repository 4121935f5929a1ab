-- The Slack message announcing webhook repairs shows names and details as text: a workspace or
-- connection named "<!channel> <https://evil.example|re-authenticate>", or a detail quoting such
-- text, neither pings the channel nor shows a link.
begin;
select plan(3);

insert into public.bison_connections (name, base_url)
values ('<!here> & <@U123>', 'https://send.example.test') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, '<!channel> <https://evil.example|re-authenticate>') returning id as ws \gset
select private.record_webhook_subscription_check(:ws, 'repaired', 11,
  'Bison said: <!everyone> @channel <https://evil.example|click>');
select is(private.announce_webhook_repairs(), 1, 'the repair is announced');

select is(
  (select count(*)::int from private.health_alerts
   where kind = 'webhook_repairs' and message::text ~ '<!|<@|<https|@channel|@here|@everyone'),
  0, 'no raw mention, link or @-mention reaches Slack');
select ok(
  (select message::text like
     '%&lt;!channel&gt; &lt;https://evil.example|re-authenticate&gt;%' ||
     '(&lt;!here&gt; &amp; &lt;@U123&gt;)%Bison said: &lt;!everyone&gt;%'
   from private.health_alerts where kind = 'webhook_repairs'),
  'the workspace, the connection and the detail show as typed');

select * from finish();
rollback;
