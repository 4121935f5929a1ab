-- Per workspace: when its last webhook arrived, and how many events and processing failures it had
-- in the last 24 hours. A security invoker view, so RLS decides which workspaces a caller sees.
create view public.webhook_health
with (security_invoker = true)
as
select
  w.id as workspace_id,
  w.connection_id,
  w.name as workspace_name,
  stats.last_event_at,
  coalesce(stats.events_24h, 0) as events_24h,
  coalesce(stats.failures_24h, 0) as failures_24h,
  coalesce(stats.unknown_types_24h, 0) as unknown_types_24h
from public.workspaces w
left join lateral (
  select
    max(e.received_at) as last_event_at,
    count(*) filter (where e.received_at >= now() - interval '24 hours') as events_24h,
    count(*) filter (where e.received_at >= now() - interval '24 hours'
                       and e.status = 'failed') as failures_24h,
    count(*) filter (where e.received_at >= now() - interval '24 hours'
                       and e.status = 'unknown_type') as unknown_types_24h
  from private.webhook_events e
  where e.workspace_id = w.id
) stats on true;
comment on view public.webhook_health is
  'Webhook delivery health per workspace: last arrival (within the raw payload retention), '
  'events, processing failures and unknown types in the last 24 h.';

revoke all on public.webhook_health from anon, authenticated;
grant select on public.webhook_health to authenticated, service_role;
