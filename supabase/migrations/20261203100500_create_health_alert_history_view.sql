-- The Health page lists what went wrong and when it recovered: every change of a health check's
-- status (private.system_health_history, kept 30 days), for agency admins only, as they alone
-- receive the alerts. Only admins' rows pass row level security; the service reads them as before.
grant select on private.system_health_history to authenticated;
create policy "agency admins read the health history" on private.system_health_history
  for select to authenticated using ((select private.is_agency_admin()));

create view public.health_alert_history
with (security_invoker = true)
as
select
  h.id,
  h.check_name,
  h.scope,
  w.id as workspace_id,
  c.id as connection_id,
  h.status,
  lag(h.status) over (partition by h.check_name, h.scope order by h.recorded_at, h.id)
    as previous_status,
  h.value,
  h.message,
  h.recorded_at
from private.system_health_history h
left join public.workspaces w on h.scope = 'workspace:' || w.id
left join public.bison_connections c
  on c.id = w.connection_id
  or h.scope = 'connection:' || c.id
  or h.scope like 'provider:' || c.id || ':%';

comment on view public.health_alert_history is
  'Agency admins only (others read no rows): every change of a health check''s status in the '
  'last 30 days, newest last by recorded_at. A change to degraded or down raised a Slack alert, '
  'a change back to healthy announced the recovery. The current status of every check is '
  'public.system_health. Read .order(''recorded_at'', {ascending: false}).';
comment on column public.health_alert_history.id is 'Identifies the change.';
comment on column public.health_alert_history.check_name is
  'The health check (webhook_silence, mailbox_sync, metrics_drift, ...; see docs/health.md).';
comment on column public.health_alert_history.scope is
  'What was checked: workspace:<id>, connection:<id>, provider:<connection id>:<provider>/'
  '<reseller>, job:<name> or global.';
comment on column public.health_alert_history.workspace_id is
  'The workspace when the scope is one; null otherwise.';
comment on column public.health_alert_history.connection_id is
  'The Email Bison instance the check is about (the workspace''s, for a workspace); null for '
  'jobs and global checks.';
comment on column public.health_alert_history.status is
  'The status the check changed to: healthy, degraded or down.';
comment on column public.health_alert_history.previous_status is
  'The status before this change; null for the check''s first recorded status (or when the '
  'earlier change is older than the 30 days kept).';
comment on column public.health_alert_history.value is
  'The measured number behind the status; its unit depends on the check (docs/metrics.md).';
comment on column public.health_alert_history.message is
  'What the check found, in words (may quote names and errors from Email Bison).';
comment on column public.health_alert_history.recorded_at is 'When the change was seen.';

revoke all on public.health_alert_history from anon, authenticated, service_role;
grant select on public.health_alert_history to authenticated, service_role;
