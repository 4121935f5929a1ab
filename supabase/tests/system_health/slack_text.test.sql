-- Slack text escapes every value from Bison or users: a workspace named
-- "<!channel> <https://evil.example|re-authenticate>" shows as text, mentions notify nobody.
begin;
select plan(4);

select is(private.slack_text('<!channel> <https://evil.example|re-authenticate>'),
  '&lt;!channel&gt; &lt;https://evil.example|re-authenticate&gt;', 'links and mentions shown as typed');
select is(private.slack_text('Fish & <Chips>'), 'Fish &amp; &lt;Chips&gt;', '& first, then < and >');
select is(private.slack_text('@channel @HERE @everyone'),
  '@' || chr(8203) || 'channel @' || chr(8203) || 'HERE @' || chr(8203) || 'everyone',
  'plain mentions are broken');

insert into public.bison_connections (name, base_url) values ('slack', 'https://s.example.test')
returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, '<!channel> <https://evil.example|re-authenticate>') returning id as ws \gset
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status, email)
values (:'conn', 1, :ws, 'disconnected', '<@U123>@x.example.test');
select private.run_health_checks(now());
select is(
  (select count(*)::int from private.health_alerts
   where message::text ~ '<!channel>|<https://evil|<@U123>'), 0,
  'no queued alert carries a raw mention or link');

select * from finish();
rollback;
