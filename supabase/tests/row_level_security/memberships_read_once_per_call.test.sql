-- private.member_connection_ids lists the caller's workspaces once per call, not once per
-- workspace row it compares (a member of 35 workspaces paid ~5 ms a call, and workspace_kpis
-- calls it six times per workspace through private.workspace_timezone). A counting stand-in for
-- private.member_workspace_ids, rolled back with the test, says how often it ran; a probe written
-- the per-row way proves the count would catch it.
begin;
select plan(3);

select tests.create_workspaces_and_people('memberships-once', 990101, 990102);
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value
select 990100 + n, (select id from public.bison_connections where name = 'memberships-once'),
       n, 'Client ' || n
from generate_series(3, 12) n;
insert into public.workspace_members (user_id, workspace_id)
select tests.user_id('member@example.test'), 990100 + n from generate_series(3, 12) n;

create sequence private.member_workspace_ids_calls;
alter function private.member_workspace_ids() rename to member_workspace_ids_counted;
create function private.member_workspace_ids() returns bigint[]
language plpgsql volatile security definer set search_path = '' as $$
begin
  perform nextval('private.member_workspace_ids_calls');
  return private.member_workspace_ids_counted();
end;
$$;
create function pg_temp.calls() returns bigint language sql as $$
  select case when is_called then last_value else 0 end from private.member_workspace_ids_calls;
$$;
create function pg_temp.reset_calls() returns void language sql as $$
  select setval('private.member_workspace_ids_calls', 1, false);
$$;
create function private.member_connection_ids_per_row_probe() returns uuid[]
language sql stable security definer set search_path = '' as $$
  select coalesce(array_agg(distinct w.connection_id), '{}')
  from public.workspaces w
  where w.id = any (private.member_workspace_ids());
$$;
grant execute on function private.member_connection_ids_per_row_probe() to authenticated;

select id as connection_id from public.bison_connections where name = 'memberships-once' \gset
select pg_temp.reset_calls();
select tests.authenticate_as(tests.user_id('member@example.test'));
select is(private.member_connection_ids(), array[:'connection_id'::uuid],
  'a member''s connections are those of their workspaces');
select tests.clear_authentication();
select is(pg_temp.calls(), 1::bigint, 'listing them asks for the member''s workspaces once');

select pg_temp.reset_calls();
select tests.authenticate_as(tests.user_id('member@example.test'));
select private.member_connection_ids_per_row_probe();
select tests.clear_authentication();
select cmp_ok(pg_temp.calls(), '>=', 12::bigint,
  'the probe, asking once per workspace row, is counted once per row');

select * from finish();
rollback;
