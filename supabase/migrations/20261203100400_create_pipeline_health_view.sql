-- Is the pipeline feeding this workspace's numbers? One row per workspace: webhook freshness
-- (public.webhook_health), the worst current status of the webhook health checks, the webhook
-- subscription's last proof of delivery, the mailbox inventory's last complete sync and whether one
-- is running, and how many health checks about the workspace or its connection are not healthy.
create view public.pipeline_health
with (security_invoker = true)
as
select
  h.workspace_id,
  h.connection_id,
  h.last_event_at,
  h.events_24h,
  checks.webhook_status,
  subscription.status as webhook_subscription_status,
  subscription.checked_at as webhook_subscription_checked_at,
  subscription.verified_at as webhook_subscription_verified_at,
  poll.last_complete_sync_at,
  coalesce(poll.lease_expires_at > now(), false) as sync_running,
  checks.open_alerts
from public.webhook_health h
left join private.webhook_subscriptions subscription on subscription.workspace_id = h.workspace_id
left join private.workspace_poll_state poll on poll.workspace_id = h.workspace_id
cross join lateral (
  select
    case
      when bool_or(c.status = 'down') filter (where c.check_name like 'webhook\_%') then 'down'
      when bool_or(c.status = 'degraded') filter (where c.check_name like 'webhook\_%')
        then 'degraded'
      when bool_or(true) filter (where c.check_name like 'webhook\_%') then 'healthy'
      else 'unknown'
    end as webhook_status,
    count(*) filter (where c.status <> 'healthy') as open_alerts
  from public.system_health c
  where c.workspace_id = h.workspace_id
     or (c.workspace_id is null and c.connection_id = h.connection_id)
) checks;

comment on view public.pipeline_health is
  'Whether the data behind a workspace''s numbers is flowing, one row per workspace you may read '
  '(members: their workspaces; agency admins: all): webhook arrivals, the webhook health checks, '
  'the webhook subscription in Email Bison, the mailbox inventory sync, and open alerts. Live '
  'updates: postgres_changes on public.system_health, and workspace:<id>:sync for syncs.';
comment on column public.pipeline_health.workspace_id is 'The workspace (public.workspaces.id).';
comment on column public.pipeline_health.connection_id is
  'The Email Bison instance (public.bison_connections.id) of the workspace.';
comment on column public.pipeline_health.last_event_at is
  'When the latest webhook event for the workspace arrived (within the 30 days raw events are '
  'kept); null when none arrived since.';
comment on column public.pipeline_health.events_24h is
  'Webhook events received in the last 24 hours (rolling, not local days).';
comment on column public.pipeline_health.webhook_status is
  'The worst current status of the webhook health checks about the workspace or its connection '
  '(webhook_silence, webhook_failures, webhook_rejections, webhook_subscription in '
  'public.system_health): healthy, degraded or down; unknown before the first check.';
comment on column public.pipeline_health.webhook_subscription_status is
  'Outcome of the last check of the workspace''s webhook subscription in Email Bison: ok, '
  'repaired (it had been switched off and was put back) or failed (could not be repaired); null '
  'before the first check (every 10 minutes).';
comment on column public.pipeline_health.webhook_subscription_checked_at is
  'When the webhook subscription was last checked; null before the first check.';
comment on column public.pipeline_health.webhook_subscription_verified_at is
  'When a test event sent by Email Bison last arrived through the subscription (at onboarding '
  'and with `bison webhooks verify`); null when that never happened.';
comment on column public.pipeline_health.last_complete_sync_at is
  'When the mailbox inventory was last synced completely (every page fetched); null when never.';
comment on column public.pipeline_health.sync_running is
  'True while a mailbox inventory sync of the workspace is under way (progress is broadcast on '
  'workspace:<id>:sync).';
comment on column public.pipeline_health.open_alerts is
  'Health checks about the workspace or its connection that are not healthy right now (rows of '
  'public.system_health with status degraded or down).';

revoke all on public.pipeline_health from anon, authenticated, service_role;
grant select on public.pipeline_health to authenticated, service_role;
