-- Every policy that asked private.is_workspace_member or private.is_connection_member about each
-- row now compares the row with the caller's workspaces (or connections), listed once per query
-- (20261203500000). Who sees what is unchanged: an agency admin every row, including rows of no
-- workspace and topics of no workspace, as those predicates said yes to an admin whatever the
-- value; a member the rows of their workspaces, and the connection-wide rows of their
-- workspaces' connections; anyone else nothing; anon has no policy; service_role bypasses RLS.
-- The policies keep their names, roles and commands.

alter policy "members read their workspaces" on public.workspaces
  using (
    (select private.is_agency_admin())
    or id = any ((select private.member_workspace_ids())::bigint[])
  );

alter policy "members read the connections of their workspaces" on public.bison_connections
  using (
    (select private.is_agency_admin())
    or id = any ((select private.member_connection_ids())::uuid[])
  );

alter policy "members read their connections' provider performance"
  on public.provider_performance_history
  using (
    (select private.is_agency_admin())
    or connection_id = any ((select private.member_connection_ids())::uuid[])
  );

alter policy "admins see every check, members their workspaces' and connections' checks"
  on public.system_health
  using (
    (select private.is_agency_admin())
    or workspace_id = any ((select private.member_workspace_ids())::bigint[])
    or (workspace_id is null
        and connection_id = any ((select private.member_connection_ids())::uuid[]))
  );

-- A topic names its workspace (workspace:<id>:<channel>); the row is the topic's message.
alter policy "members receive their workspaces' broadcasts" on realtime.messages
  using (
    extension = 'broadcast'
    and (
      (select private.is_agency_admin())
      or private.workspace_id_from_topic(topic)
         = any ((select private.member_workspace_ids())::bigint[])
    )
  );

-- The rows of one workspace each.
do $$
declare
  target record;
begin
  for target in
    select * from (values
      ('public', 'workspace_daily_metrics', 'members read their workspaces'' daily metrics'),
      ('public', 'campaign_daily_metrics', 'members read their workspaces'' campaign metrics'),
      ('public', 'campaigns', 'members read their workspaces'' campaigns'),
      ('public', 'leads', 'members read their workspaces'' leads'),
      ('public', 'replies', 'members read their workspaces'' replies'),
      ('public', 'sender_emails', 'members read their workspaces'' mailboxes'),
      ('public', 'sender_email_daily_snapshots',
       'members read their workspaces'' mailbox snapshots'),
      ('public', 'sender_email_sync_runs', 'members read their workspaces'' sync runs'),
      ('public', 'bison_daily_stats', 'members read their workspaces'' Bison stats'),
      ('public', 'insights', 'members read their workspaces'' insights'),
      ('public', 'workspace_targets', 'members read their workspaces'' targets'),
      ('public', 'workspace_milestones', 'members read their workspaces'' milestones'),
      ('private', 'webhook_events', 'members read their workspaces'' delivery statistics'),
      ('private', 'webhook_subscriptions',
       'members read their workspaces'' webhook subscription checks'),
      ('private', 'workspace_poll_state', 'members read their workspaces'' poll state')
    ) as policies (schema_name, table_name, policy_name)
  loop
    execute format(
      'alter policy %I on %I.%I using ((select private.is_agency_admin()) '
      'or workspace_id = any ((select private.member_workspace_ids())::bigint[]))',
      target.policy_name, target.schema_name, target.table_name);
  end loop;
end;
$$;
