-- Workspaces are Bison client workspaces, one row per (connection, Bison workspace_id) because the
-- numbers repeat across instances. Members decide what an authenticated user may read.
create table public.workspaces (
  id bigint generated always as identity primary key,
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  bison_workspace_id bigint not null,
  name text,
  timezone text,
  needs_review boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (connection_id, bison_workspace_id)
);
comment on table public.workspaces is
  'A Bison workspace of a connection. timezone overrides the connection''s reporting zone when '
  'set. needs_review marks workspaces created automatically by an event nobody expected.';
comment on column public.workspaces.name is
  'Display only: Bison sends it with stray spaces and changes it when a client is renamed.';

create trigger workspaces_check_timezone
  before insert or update of timezone on public.workspaces
  for each row execute function private.check_timezone();

create table public.workspace_members (
  user_id uuid not null references auth.users (id) on delete cascade,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (user_id, workspace_id)
);
create index workspace_members_workspace_id_idx on public.workspace_members (workspace_id);
comment on table public.workspace_members is
  'Which users may read which workspace''s data (RLS on every workspace table asks here).';

-- Policies call these predicates; security definer so that a policy on workspace_members itself
-- does not recurse. Called with a row's column they run once per row read.
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
  );
$$;
comment on function private.is_workspace_member(bigint) is
  'True when the calling user (auth.uid()) is a member of the workspace. For RLS policies.';

create or replace function private.workspace_timezone(target_workspace_id bigint)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  -- plpgsql keeps this plan for the session; a sql function would be planned again in every
  -- transaction, and webhook ingest calls it once per event.
  return (
    select coalesce(w.timezone, c.timezone, 'UTC')
    from public.workspaces w join public.bison_connections c on c.id = w.connection_id
    where w.id = target_workspace_id);
end;
$$;
comment on function private.workspace_timezone(bigint) is
  'The reporting time zone of a workspace: its own, else its connection''s, else UTC.';

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
  );
$$;
comment on function private.is_connection_member(uuid) is
  'True when the calling user (auth.uid()) is a member of any workspace of the connection. For '
  'RLS policies on connection-level tables.';
grant execute on function private.is_connection_member(uuid) to authenticated, service_role;

alter table public.workspaces enable row level security;
alter table public.workspace_members enable row level security;

create policy "members read their workspaces" on public.workspaces
  for select to authenticated using ((select private.is_workspace_member(id)));
create policy "members read the connections of their workspaces" on public.bison_connections
  for select to authenticated using ((select private.is_connection_member(id)));
create policy "members read their own memberships" on public.workspace_members
  for select to authenticated using (user_id = (select auth.uid()));

revoke all on public.workspaces, public.workspace_members from anon, authenticated;
grant select on public.bison_connections, public.workspaces, public.workspace_members
  to authenticated;
grant select, insert, update, delete on public.workspaces, public.workspace_members to service_role;

-- Policies run as the caller, so the caller needs the predicate (and nothing else in private).
grant usage on schema private to authenticated;
grant execute on function private.is_workspace_member(bigint) to authenticated, service_role;
