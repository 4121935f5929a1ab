-- What public.pipeline_health (a security invoker view) shows a reader about their workspaces'
-- pipeline lives in private tables: the mailbox poll's lease and last complete inventory, and the
-- last check of the webhook subscription. As for private.webhook_events, only the columns a
-- dashboard needs are granted (never lease owners, errors or token hashes), and row level
-- security decides which workspaces' rows: members their workspaces, agency admins all
-- (private.is_workspace_member), service_role (which bypasses RLS) every row.
grant select (workspace_id, lease_expires_at, last_complete_sync_at)
  on private.workspace_poll_state to authenticated, service_role;
create policy "members read their workspaces' poll state" on private.workspace_poll_state
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));

grant select (workspace_id, status, checked_at, verified_at)
  on private.webhook_subscriptions to authenticated, service_role;
create policy "members read their workspaces' webhook subscription checks"
  on private.webhook_subscriptions
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));

-- A connection-wide check (webhook_rejections: deliveries refused for the whole connection) is
-- about every workspace of that connection: their members see it too, as they see the
-- connection itself. One policy, so that each row is judged once.
drop policy "admins see every check, members their workspaces' checks" on public.system_health;
create policy "admins see every check, members their workspaces' and connections' checks"
  on public.system_health
  for select to authenticated
  using (
    (select private.is_agency_admin())
    or (select private.is_workspace_member(workspace_id))
    or (workspace_id is null and (select private.is_connection_member(connection_id)))
  );
