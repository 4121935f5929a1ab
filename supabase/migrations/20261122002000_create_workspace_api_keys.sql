-- Each workspace's Bison API key (an api-user key works for its own workspace only) lives in Vault;
-- this table only points at the secret. No API role can read either.
create table private.workspace_api_keys (
  workspace_id bigint primary key references public.workspaces (id) on delete cascade,
  vault_secret_id uuid not null unique,
  -- A super-admin key follows its user's current workspace: the poller must switch and fetch
  -- under a lock shared by every run using that key.
  key_kind text not null default 'workspace' check (key_kind in ('workspace', 'super_admin')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table private.workspace_api_keys is
  'Which Vault secret holds each workspace''s Email Bison API key.';
alter table private.workspace_api_keys enable row level security;
revoke all on private.workspace_api_keys from public, anon, authenticated, service_role;

create or replace function private.set_workspace_api_key(
  target_workspace_id bigint,
  api_key text,
  key_kind text default 'workspace'
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  secret_id uuid;
  secret_name text := 'bison_api_key:workspace:' || target_workspace_id;
begin
  if api_key is null or length(btrim(api_key)) < 8 or api_key ~ '\s' then
    raise exception 'an Email Bison API key is a single token of at least 8 characters'
      using errcode = '22023';
  end if;
  if key_kind is null or key_kind not in ('workspace', 'super_admin') then
    raise exception 'key_kind must be workspace or super_admin, got %', coalesce(key_kind, 'null')
      using errcode = '22023';
  end if;
  if not exists (select 1 from public.workspaces where id = target_workspace_id) then
    raise exception 'no workspace with id %', target_workspace_id using errcode = 'P0002';
  end if;
  select k.vault_secret_id into secret_id
  from private.workspace_api_keys k where k.workspace_id = target_workspace_id;
  if secret_id is null then
    secret_id := vault.create_secret(api_key, secret_name, 'Email Bison API key of a workspace');
    insert into private.workspace_api_keys (workspace_id, vault_secret_id, key_kind)
    values (target_workspace_id, secret_id, set_workspace_api_key.key_kind);
  else
    perform vault.update_secret(secret_id, api_key);
    update private.workspace_api_keys k
    set updated_at = now(), key_kind = set_workspace_api_key.key_kind
    where k.workspace_id = target_workspace_id;
  end if;
end;
$$;
comment on function private.set_workspace_api_key(bigint, text, text) is
  'Stores (or replaces) a workspace''s Email Bison API key in Vault; key_kind is workspace (an '
  'api-user key, recommended) or super_admin (switched to the workspace before each fetch). '
  'Raises 22023 for a key that cannot be one or an unknown kind, P0002 for an unknown '
  'workspace. The key is never returned or logged.';
