-- The Slack message announcing webhook repairs quoted the workspace name, the connection name and
-- the repair's detail (which can quote Bison's own error text) as Slack mrkdwn: a workspace named
-- "<!channel> <https://evil.example|re-authenticate>" pinged the channel and showed a link. Every
-- value from Bison or an operator now goes through private.slack_text, as the health alerts do.
create or replace function private.announce_webhook_repairs()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  lines jsonb;
  announced integer;
begin
  -- Marked and read in one statement: concurrent checks never announce a repair twice.
  with taken as (
    update private.webhook_subscription_repairs r set announced_at = now()
    where r.announced_at is null
    returning r.workspace_id, r.detail, r.repaired_at
  )
  select jsonb_agg(format('• *%s* (%s): %s',
                          private.slack_text(coalesce(w.name, 'workspace ' || w.bison_workspace_id)),
                          private.slack_text(c.name), private.slack_text(t.detail))
                   order by c.name, w.bison_workspace_id, t.repaired_at),
         count(*)
  into lines, announced
  from taken t
  join public.workspaces w on w.id = t.workspace_id
  join public.bison_connections c on c.id = w.connection_id;
  if announced > 0 then
    insert into private.health_alerts (kind, message) values ('webhook_repairs',
      private.health_alert_message('webhook_repairs',
        format(':wrench: %s webhook subscription(s) repaired in Email Bison', announced), lines));
  end if;
  return announced;
end;
$$;
comment on function private.announce_webhook_repairs() is
  'Queues one Slack message (private.health_alerts, kind webhook_repairs) listing every repair '
  'not announced yet, and marks them announced; workspace and connection names and the detail are '
  'escaped with private.slack_text. Returns how many it announced.';
