-- Disconnecting an instance: every credential we hold for it is forgotten (its webhook tokens and
-- URL, each workspace's API key in Vault), which stops deliveries, polling, catch-ups, the
-- reconciliation and the webhook checks, all of which need one; its history is kept. Purging also
-- deletes its data. The CLI first deletes our webhook registrations in Bison while the keys work.
alter table public.bison_connections add column disconnected_at timestamptz;
comment on column public.bison_connections.disconnected_at is
  'When the connection was disconnected (bison disconnect): no credential is kept for it any '
  'more; its history stays readable.';

create or replace function private.disconnect_connection(target_connection_id uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  forgotten_keys integer;
  revoked_tokens integer;
begin
  update public.bison_connections c
  set disconnected_at = coalesce(c.disconnected_at, now()), updated_at = now()
  where c.id = target_connection_id;
  if not found then
    raise exception 'no connection with id %', target_connection_id using errcode = 'P0002';
  end if;
  delete from private.webhook_token_versions v where v.connection_id = target_connection_id;
  get diagnostics revoked_tokens = row_count;
  delete from vault.secrets s
  where s.name = private.webhook_url_secret_name(target_connection_id);
  with forgotten as (
    delete from private.workspace_api_keys k
    using public.workspaces w
    where w.id = k.workspace_id and w.connection_id = target_connection_id
    returning k.vault_secret_id
  )
  delete from vault.secrets s where s.id in (select vault_secret_id from forgotten);
  get diagnostics forgotten_keys = row_count;
  -- Our registrations in Bison are deleted (or unreachable) now: their records say nothing more.
  delete from private.webhook_subscriptions s
  using public.workspaces w
  where w.id = s.workspace_id and w.connection_id = target_connection_id;
  return jsonb_build_object('api_keys_forgotten', forgotten_keys, 'tokens_revoked', revoked_tokens);
end;
$$;
comment on function private.disconnect_connection(uuid) is
  'Marks the connection disconnected and forgets every credential held for it: webhook tokens '
  '(deliveries get 401), its webhook URL and its workspaces'' API keys (deleted from Vault), so '
  'nothing polls, catches up, reconciles or checks it any more, and the records of its webhook '
  'subscriptions. Keeps its data. Returns {api_keys_forgotten, tokens_revoked}. Raises P0002 '
  'for an unknown connection.';

create or replace function private.purge_connection(target_connection_id uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  forgotten jsonb := private.disconnect_connection(target_connection_id);
  workspace_count integer;
  event_count bigint;
begin
  select count(*) into workspace_count from public.workspaces w
  where w.connection_id = target_connection_id;
  select count(*) into event_count from private.webhook_events e
  where e.connection_id = target_connection_id;
  delete from public.bison_connections c where c.id = target_connection_id;
  return forgotten || jsonb_build_object('workspaces_deleted', workspace_count,
    'events_deleted', event_count);
end;
$$;
comment on function private.purge_connection(uuid) is
  'Disconnects the connection (private.disconnect_connection), then deletes it with all its '
  'data: workspaces, mailboxes, events, metrics, health. Returns what it forgot and deleted. '
  'Raises P0002 for an unknown connection.';
