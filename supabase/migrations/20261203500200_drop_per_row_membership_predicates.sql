-- No policy calls them any more (20261203500100), and a policy that did would ask once per row:
-- the caller's workspaces are private.member_workspace_ids (and its connections
-- private.member_connection_ids), compared with a row once per query. Dropping them makes a new
-- policy written the old way fail when its migration runs; one a migration still relied on would
-- make this drop fail instead.
drop function private.is_workspace_member(bigint);
drop function private.is_connection_member(uuid);
