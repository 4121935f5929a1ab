-- Agency admins (public.agency_admins, managed with `bison admin add|remove`) see every workspace,
-- not only every health check: the predicates every workspace policy calls say yes for them too,
-- so no table needs a policy of its own for admins.
create or replace function private.is_workspace_member(target_workspace_id bigint)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.workspace_members m
    where m.workspace_id = target_workspace_id and m.user_id = (select auth.uid())
  ) or private.is_agency_admin();
$$;
comment on function private.is_workspace_member(bigint) is
  'True when the calling user (auth.uid()) may read the workspace: a member of it, or an agency '
  'admin. For RLS policies.';

create or replace function private.is_connection_member(target_connection_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.workspace_members m
    join public.workspaces w on w.id = m.workspace_id
    where w.connection_id = target_connection_id and m.user_id = (select auth.uid())
  ) or private.is_agency_admin();
$$;
comment on function private.is_connection_member(uuid) is
  'True when the calling user (auth.uid()) may read the connection: a member of any of its '
  'workspaces, or an agency admin. For RLS policies on connection-level tables.';
