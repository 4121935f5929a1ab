-- Which workspace's reporting zone a caller may learn was decided by the JWT claim `role`: a
-- session acting as authenticated with a claim saying service_role read any workspace's zone.
-- The zone function itself is security invoker, so row level security on workspaces and
-- connections, applied to the database role the caller really has, now decides: a member sees
-- their workspaces, service_role (which bypasses RLS) and the owner see all, anon nothing.
create or replace function private.visible_workspace_timezone(target_workspace_id bigint)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return private.workspace_timezone(target_workspace_id);
end;
$$;
comment on function private.visible_workspace_timezone(bigint) is
  'The reporting time zone of a workspace (its own, else its connection''s, else UTC) as the '
  'caller may see it: security invoker, so row level security under the caller''s database role '
  'decides. Null for a workspace the caller cannot read or that does not exist.';

grant execute on function private.workspace_timezone(bigint) to authenticated, service_role;
