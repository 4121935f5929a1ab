-- Small helpers that the insight facts function and the campaign_metrics view call as the caller
-- (both are security invoker, so RLS decides what they read): a percentage that is safe on zero
-- volume, and the reporting time zone of a workspace the caller can see.

create or replace function private.percent_of(part numeric, whole numeric)
returns numeric
language sql
immutable
set search_path = ''
as $$
  select round(100.0 * part / nullif(whole, 0), 2);
$$;
comment on function private.percent_of(numeric, numeric) is
  'part as a percentage of whole, rounded to 2 decimals; null when whole is 0 or null (never '
  'divides by zero). Plain numeric, e.g. percent_of(3, 200) = 1.50.';

-- private.workspace_timezone() is not granted to API roles: it would tell anyone any workspace's
-- zone. This one runs it as its owner, but only for a workspace the caller may read: a member
-- (authenticated), or a service caller.
create or replace function private.visible_workspace_timezone(target_workspace_id bigint)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select private.workspace_timezone(target_workspace_id)
  where coalesce((select auth.role()), '') <> 'authenticated'
     or (select private.is_workspace_member(target_workspace_id));
$$;
comment on function private.visible_workspace_timezone(bigint) is
  'The reporting time zone of a workspace (its own, else its connection''s, else UTC), for '
  'security invoker views and functions running as the caller. Returns null for a workspace an '
  'authenticated caller is not a member of, or one that does not exist.';

revoke all on function private.percent_of(numeric, numeric) from public, anon, authenticated;
revoke all on function private.visible_workspace_timezone(bigint) from public, anon, authenticated;
grant execute on function private.percent_of(numeric, numeric) to authenticated, service_role;
grant execute on function private.visible_workspace_timezone(bigint)
  to authenticated, service_role;
