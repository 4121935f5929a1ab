-- Who may read a workspace's rows: agency admins every row (private.is_agency_admin), anyone else
-- the rows of the workspaces they are a member of, and the connections those belong to. Asked
-- with a row's value (private.is_workspace_member(workspace_id)), that question was a security
-- definer call and an index probe for every row read: 2 to 4 s for a member of 35 workspaces
-- reading the health of 17,136 mailboxes. Asked without a row's value, inside `(select ...)`,
-- the planner runs it once per query (an InitPlan) and each row is compared with the answer:
--   (select private.is_agency_admin())
--   or workspace_id = any ((select private.member_workspace_ids())::bigint[])
-- (the cast makes `any` read the subquery's one value as the array, not as a set of rows).
-- An admin's answer makes the comparison unnecessary, so it is never computed for them.
create or replace function private.member_workspace_ids()
returns bigint[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.workspace_id order by m.workspace_id), '{}')
  from public.workspace_members m
  where m.user_id = (select auth.uid());
$$;
comment on function private.member_workspace_ids() is
  'The workspaces the calling user (auth.uid()) is a member of (empty for anyone else). The one '
  'place membership is read: policies compare a row with it once per query, '
  '`(select private.is_agency_admin()) or workspace_id = any ((select '
  'private.member_workspace_ids())::bigint[])`, never call a function per row.';

create or replace function private.member_connection_ids()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(distinct w.connection_id), '{}')
  from public.workspaces w
  where w.id = any (private.member_workspace_ids());
$$;
comment on function private.member_connection_ids() is
  'The connections of the workspaces the calling user is a member of '
  '(private.member_workspace_ids). Policies on connection-level rows compare with it once per '
  'query, after `(select private.is_agency_admin()) or`.';

revoke all on function private.member_workspace_ids() from public, anon, authenticated;
revoke all on function private.member_connection_ids() from public, anon, authenticated;
-- Policies run as the caller, so the caller needs them.
grant execute on function private.member_workspace_ids() to authenticated, service_role;
grant execute on function private.member_connection_ids() to authenticated, service_role;
