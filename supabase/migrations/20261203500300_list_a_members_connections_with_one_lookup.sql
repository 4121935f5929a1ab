-- private.member_connection_ids compared every workspace with private.member_workspace_ids()
-- called once per workspace row (about 5 ms for a member of 35 workspaces, paid by every
-- connection-level policy check, and many times over by workspace_kpis through
-- private.workspace_timezone). The caller's workspaces are now listed once per call.
create or replace function private.member_connection_ids()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(distinct w.connection_id), '{}')
  from public.workspaces w
  where w.id = any ((select private.member_workspace_ids())::bigint[]);
$$;
comment on function private.member_connection_ids() is
  'The connections of the workspaces the calling user is a member of '
  '(private.member_workspace_ids, listed once per call). Policies on connection-level rows '
  'compare with it once per query, after `(select private.is_agency_admin()) or`.';
