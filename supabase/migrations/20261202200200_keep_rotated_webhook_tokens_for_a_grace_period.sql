-- A rotated webhook token stays valid for a grace period (setting webhook_token_grace, default 15
-- minutes), so deliveries Bison already queued for the old URL are not refused while every
-- registration is moved to the new one. Each connection keeps one current token and any number
-- of retiring ones; private.webhook_tokens, which every lookup reads, becomes a view of the tokens
-- that still authenticate, so each lookup honours the grace period without being redefined.
--
-- The current URL itself (it holds the token) is kept in Vault, so that the scheduled check can
-- register it again where it went missing.
alter table private.webhook_tokens rename to webhook_token_versions;
alter table private.webhook_token_versions drop constraint webhook_tokens_pkey;
alter table private.webhook_token_versions drop constraint webhook_tokens_token_sha256_key;
alter table private.webhook_token_versions add primary key (token_sha256);
alter table private.webhook_token_versions add column expires_at timestamptz;
create unique index webhook_token_versions_current_idx
  on private.webhook_token_versions (connection_id) where expires_at is null;
create index webhook_token_versions_connection_id_idx
  on private.webhook_token_versions (connection_id);
comment on table private.webhook_token_versions is
  'SHA-256 (hex) of each connection''s webhook URL tokens: the current one (expires_at null) and '
  'rotated ones, valid until expires_at. Tokens themselves are never stored here.';

create view private.webhook_tokens as
  select v.connection_id, v.token_sha256, v.created_at
  from private.webhook_token_versions v
  where v.expires_at is null or v.expires_at > now();
comment on view private.webhook_tokens is
  'The webhook tokens that authenticate a delivery now: each connection''s current token and the '
  'rotated ones still in their grace period.';
revoke all on private.webhook_tokens from public, anon, authenticated, service_role;

insert into private.settings (key, value, description) values
  ('webhook_token_grace', '"15 minutes"',
   'How long a rotated webhook token still authenticates deliveries (an interval).');

create or replace function private.webhook_url_secret_name(target_connection_id uuid)
returns text
language sql
immutable
set search_path = ''
as $$
  select 'bison_webhook_url:connection:' || target_connection_id;
$$;
comment on function private.webhook_url_secret_name(uuid) is
  'The name of the Vault secret holding a connection''s current webhook URL.';

create or replace function private.set_webhook_url(
  target_connection_id uuid,
  webhook_url text,
  grace interval default null
)
returns timestamptz
language plpgsql
set search_path = ''
as $$
declare
  token text := (regexp_match(webhook_url, '^https?://[^/\s]+/\S*/universal-bison-webhook/([A-Za-z0-9_-]{32,})$'))[1];
  retiring_until timestamptz := now()
    + coalesce(grace, private.setting_interval('webhook_token_grace', interval '15 minutes'));
  previous_expires_at timestamptz;
  secret_id uuid;
begin
  if token is null then
    raise exception 'a webhook URL is <functions url>/universal-bison-webhook/<token of at least 32 characters>'
      using errcode = '22023';
  end if;
  if grace < interval '0' then
    raise exception 'the grace period cannot be negative, got %', grace using errcode = '22023';
  end if;
  if not exists (select 1 from public.bison_connections c where c.id = target_connection_id) then
    raise exception 'no connection with id %', target_connection_id using errcode = 'P0002';
  end if;
  delete from private.webhook_token_versions v
  where v.connection_id = target_connection_id and v.expires_at <= now();
  update private.webhook_token_versions v set expires_at = retiring_until
  where v.connection_id = target_connection_id and v.expires_at is null
  returning v.expires_at into previous_expires_at;
  insert into private.webhook_token_versions (connection_id, token_sha256)
  values (target_connection_id, encode(sha256(convert_to(token, 'UTF8')), 'hex'));

  select s.id into secret_id from vault.secrets s
  where s.name = private.webhook_url_secret_name(target_connection_id);
  if secret_id is null then
    perform vault.create_secret(webhook_url, private.webhook_url_secret_name(target_connection_id),
      'Email Bison webhook URL of a connection (holds its token)');
  else
    perform vault.update_secret(secret_id, webhook_url);
  end if;
  return previous_expires_at;
end;
$$;
comment on function private.set_webhook_url(uuid, text, interval) is
  'Makes webhook_url (<functions url>/universal-bison-webhook/<token>) the connection''s current '
  'one: its token''s SHA-256 authenticates deliveries from now on, the previous token keeps '
  'authenticating for grace (default: the webhook_token_grace setting) and the URL is kept in '
  'Vault. Returns when the previous token stops working (null when there was none). Raises '
  '22023 for a URL of another shape or a negative grace, P0002 for an unknown connection.';

create or replace function private.connection_webhook_url(target_connection_id uuid)
returns text
language sql
stable
set search_path = ''
as $$
  select s.decrypted_secret from vault.decrypted_secrets s
  where s.name = private.webhook_url_secret_name(target_connection_id);
$$;
comment on function private.connection_webhook_url(uuid) is
  'The connection''s current webhook URL (it holds the token), from Vault; null when it has '
  'none. For the service only.';
