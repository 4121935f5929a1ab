-- Webhook subscriptions heal themselves. Bison can switch a webhook off silently (deleted, an event
-- disabled, a stale URL after a token rotation); waiting for silence to notice costs hours of
-- data. A scheduled check (edge function check-webhook-subscriptions, every 10 minutes, and
-- `bison webhooks verify`) lists each workspace's subscriptions, repairs what differs from what
-- its connection needs, and records the outcome here. Repairs are announced in Slack once; a
-- workspace whose repair failed is a health finding (private.webhook_subscription_findings).
create table private.webhook_subscriptions (
  workspace_id bigint primary key references public.workspaces (id) on delete cascade,
  bison_webhook_id bigint,
  status text not null check (status in ('ok', 'repaired', 'failed')),
  detail text,
  checked_at timestamptz not null,
  repaired_at timestamptz,
  -- A test event Bison sent to this token's URL arrived (onboarding); a rotation makes it stale.
  verified_token_sha256 text,
  verified_at timestamptz
);
comment on table private.webhook_subscriptions is
  'The last check of each workspace''s webhook subscription in Bison: ok, repaired (what was '
  'wrong in detail) or failed (why), and the last test delivery that proved it works.';

create table private.webhook_subscription_repairs (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  repaired_at timestamptz not null default now(),
  detail text not null,
  announced_at timestamptz
);
create index webhook_subscription_repairs_unannounced_idx
  on private.webhook_subscription_repairs (id) where announced_at is null;
create index webhook_subscription_repairs_workspace_id_idx
  on private.webhook_subscription_repairs (workspace_id);
comment on table private.webhook_subscription_repairs is
  'Every repair of a webhook subscription (what was wrong), kept 30 days; announced_at says it '
  'went out in a Slack message.';

create table private.webhook_test_deliveries (
  nonce text primary key check (nonce ~ '^[0-9a-f]{32}$'),
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  requested_at timestamptz not null default now(),
  received_at timestamptz
);
create index webhook_test_deliveries_workspace_id_idx
  on private.webhook_test_deliveries (workspace_id);
comment on table private.webhook_test_deliveries is
  'Test events asked of Bison (POST /api/webhook-events/test-event) to the connection''s URL plus '
  '/test/<nonce>, and when each arrived. Samples carry fixture ids, so they are never ingested.';

alter table private.webhook_subscriptions enable row level security;
alter table private.webhook_subscription_repairs enable row level security;
alter table private.webhook_test_deliveries enable row level security;
revoke all on private.webhook_subscriptions, private.webhook_subscription_repairs,
  private.webhook_test_deliveries from public, anon, authenticated, service_role;

alter table private.health_alerts drop constraint health_alerts_kind_check;
alter table private.health_alerts add constraint health_alerts_kind_check
  check (kind in ('problems', 'reminder', 'resolved', 'disconnects', 'webhook_repairs'));

insert into private.settings (key, value, description) values
  ('webhook_check_interval', '"10 minutes"',
   'How often the webhook subscriptions are checked (the cron job''s schedule); a workspace not '
   'checked for three intervals is a health finding.');

create or replace function private.webhook_subscription_targets(
  target_connection_id uuid default null,
  target_workspace_id bigint default null
)
returns table (
  workspace_id bigint,
  bison_workspace_id bigint,
  workspace_name text,
  connection_id uuid,
  connection_name text,
  base_url text,
  allow_private_address boolean,
  api_key text,
  key_kind text,
  webhook_url text,
  last_status text
)
language sql
stable
set search_path = ''
as $$
  select w.id, w.bison_workspace_id, w.name, c.id, c.name, c.base_url, c.allow_private_address,
         s.decrypted_secret, k.key_kind, u.decrypted_secret, ws.status
  from public.workspaces w
  join public.bison_connections c on c.id = w.connection_id
  join private.workspace_api_keys k on k.workspace_id = w.id
  join vault.decrypted_secrets s on s.id = k.vault_secret_id
  join vault.decrypted_secrets u on u.name = private.webhook_url_secret_name(c.id)
  left join private.webhook_subscriptions ws on ws.workspace_id = w.id
  where c.disconnected_at is null
    and (target_connection_id is null or c.id = target_connection_id)
    and (target_workspace_id is null or w.id = target_workspace_id)
  order by c.name, w.bison_workspace_id;
$$;
comment on function private.webhook_subscription_targets(uuid, bigint) is
  'Every workspace whose webhook subscription can be checked (its connection is connected and '
  'has a webhook URL, the workspace has an API key), optionally of one connection or one '
  'workspace, with what checking it needs: base URL, opt-in to private addresses, API key and '
  'kind, the webhook URL, and the last check''s outcome (null: never checked). For the service '
  'only: it returns secrets.';

create or replace function private.record_webhook_subscription_check(
  target_workspace_id bigint,
  outcome text,
  bison_webhook_id bigint,
  detail text
)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if outcome is null or outcome not in ('ok', 'repaired', 'failed') then
    raise exception 'outcome must be ok, repaired or failed, got %', coalesce(outcome, 'null')
      using errcode = '22023';
  end if;
  insert into private.webhook_subscriptions as s
    (workspace_id, bison_webhook_id, status, detail, checked_at, repaired_at)
  values (target_workspace_id, record_webhook_subscription_check.bison_webhook_id, outcome,
          left(detail, 1000), now(), case when outcome = 'repaired' then now() end)
  on conflict (workspace_id) do update set
    bison_webhook_id = coalesce(excluded.bison_webhook_id, s.bison_webhook_id),
    status = excluded.status,
    detail = excluded.detail,
    checked_at = excluded.checked_at,
    repaired_at = coalesce(excluded.repaired_at, s.repaired_at);
  if outcome = 'repaired' then
    insert into private.webhook_subscription_repairs (workspace_id, detail)
    values (target_workspace_id, left(coalesce(detail, 'repaired'), 1000));
  end if;
end;
$$;
comment on function private.record_webhook_subscription_check(bigint, text, bigint, text) is
  'Records the outcome of checking a workspace''s webhook subscription: ok, repaired (detail says '
  'what was wrong; logged for the Slack announcement) or failed (detail says why). Raises 22023 '
  'for another outcome.';

create or replace function private.announce_webhook_repairs()
returns integer
language plpgsql
set search_path = ''
as $$
declare
  lines jsonb;
  announced integer;
begin
  -- Marked and read in one statement: concurrent checks never announce a repair twice.
  with taken as (
    update private.webhook_subscription_repairs r set announced_at = now()
    where r.announced_at is null
    returning r.workspace_id, r.detail, r.repaired_at
  )
  select jsonb_agg(format('• *%s* (%s): %s', coalesce(w.name, 'workspace ' || w.bison_workspace_id),
                          c.name, t.detail) order by c.name, w.bison_workspace_id, t.repaired_at),
         count(*)
  into lines, announced
  from taken t
  join public.workspaces w on w.id = t.workspace_id
  join public.bison_connections c on c.id = w.connection_id;
  if announced > 0 then
    insert into private.health_alerts (kind, message) values ('webhook_repairs',
      private.health_alert_message('webhook_repairs',
        format(':wrench: %s webhook subscription(s) repaired in Email Bison', announced), lines));
  end if;
  return announced;
end;
$$;
comment on function private.announce_webhook_repairs() is
  'Queues one Slack message (private.health_alerts, kind webhook_repairs) listing every repair '
  'not announced yet, and marks them announced. Returns how many it announced.';

create or replace function private.expect_webhook_test(target_workspace_id bigint)
returns text
language plpgsql
set search_path = ''
as $$
declare
  nonce text := replace(gen_random_uuid()::text, '-', '');
begin
  insert into private.webhook_test_deliveries (nonce, workspace_id)
  values (nonce, target_workspace_id);
  return nonce;
end;
$$;
comment on function private.expect_webhook_test(bigint) is
  'Registers a test delivery to expect for the workspace and returns its nonce: Bison is then '
  'asked to send a sample to the connection''s webhook URL plus /test/<nonce>.';

create or replace function private.record_webhook_test_delivery(token_sha256 text, nonce text)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  target_workspace_id bigint;
begin
  update private.webhook_test_deliveries d set received_at = coalesce(d.received_at, now())
  from public.workspaces w, private.webhook_tokens t
  where d.nonce = record_webhook_test_delivery.nonce and w.id = d.workspace_id
    and t.connection_id = w.connection_id
    and t.token_sha256 = record_webhook_test_delivery.token_sha256
  returning d.workspace_id into target_workspace_id;
  if target_workspace_id is null then
    return false;
  end if;
  update private.webhook_subscriptions s
  set verified_token_sha256 = record_webhook_test_delivery.token_sha256, verified_at = now()
  where s.workspace_id = target_workspace_id;
  return true;
end;
$$;
comment on function private.record_webhook_test_delivery(text, text) is
  'Records that the test delivery with this nonce arrived with a token of the workspace''s '
  'connection (the token''s SHA-256), and marks the workspace''s subscription verified for that '
  'token. Returns false (nothing recorded) when the nonce or token does not match.';

create or replace function private.webhook_subscription_findings(
  evaluated_at timestamptz default now()
)
returns setof private.health_check_result
language sql
stable
set search_path = ''
as $$
  select 'webhook_subscription', 'workspace:' || w.id, w.id, w.connection_id,
    case
      when s.status = 'failed' then 'down'
      when s.checked_at < evaluated_at
        - 3 * private.setting_interval('webhook_check_interval', interval '10 minutes')
        then 'degraded'
      else 'healthy'
    end,
    extract(epoch from evaluated_at - s.checked_at)::numeric,
    case
      when s.status = 'failed' then 'the webhook subscription could not be repaired: ' || s.detail
      when s.checked_at < evaluated_at
        - 3 * private.setting_interval('webhook_check_interval', interval '10 minutes')
        then format('the webhook subscription was last checked %s ago',
                    date_trunc('second', evaluated_at - s.checked_at))
      when s.status = 'repaired' then 'the webhook subscription was repaired: ' || s.detail
      else 'the webhook subscription is in place'
    end
  from private.webhook_subscriptions s
  join public.workspaces w on w.id = s.workspace_id
  join public.bison_connections c on c.id = w.connection_id
  where c.disconnected_at is null
    and exists (select 1 from private.workspace_api_keys k where k.workspace_id = w.id);
$$;
comment on function private.webhook_subscription_findings(timestamptz) is
  'Health findings (check webhook_subscription, one per checked workspace of a connected '
  'connection with a key): down when its last repair failed, degraded when not checked for three '
  'webhook_check_interval, else healthy. Rows shaped like private.evaluate_health_checks''s, for '
  'the health evaluation to include. Changes nothing.';

create or replace function private.prune_webhook_subscription_history(
  keep interval default interval '30 days'
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  deleted bigint := 0;
  batch bigint;
begin
  delete from private.webhook_subscription_repairs where repaired_at < now() - keep;
  get diagnostics batch = row_count;
  deleted := deleted + batch;
  delete from private.webhook_test_deliveries where requested_at < now() - keep;
  get diagnostics batch = row_count;
  return deleted + batch;
end;
$$;
comment on function private.prune_webhook_subscription_history(interval) is
  'Deletes webhook subscription repairs and test deliveries older than keep (default 30 days).';

create or replace function private.schedule_webhook_subscription_checks()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.schedule_job('check-webhook-subscriptions', '*/10 * * * *',
    $job$select private.invoke_edge_function('check-webhook-subscriptions', '{}'::jsonb, 150000)$job$);
  perform private.schedule_job('prune-webhook-subscription-history', '37 4 * * *',
    'select private.prune_webhook_subscription_history()');
end;
$$;
comment on function private.schedule_webhook_subscription_checks() is
  'Idempotently (re)creates the pg_cron jobs check-webhook-subscriptions (every 10 minutes, '
  'through private.invoke_edge_function; keep the webhook_check_interval setting in step) and '
  'prune-webhook-subscription-history (daily).';

select private.schedule_webhook_subscription_checks();
