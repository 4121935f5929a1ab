-- The outcomes of the webhook subscription checks (private.webhook_subscription_findings: down when
-- a repair failed, degraded when a workspace was not checked for three intervals) were shaped like
-- health checks but reached neither public.system_health nor Slack. The health evaluation is now
-- the checks computed from the mirror's own tables plus those findings, so a subscription Bison
-- switched off and that could not be repaired raises an alert like any other check.
alter function private.evaluate_health_checks(timestamptz) rename to evaluate_mirror_checks;
comment on function private.evaluate_mirror_checks(timestamptz) is
  'Evaluates the health checks computed from the mirror''s own tables as of evaluated_at, with the '
  'project''s definitions and every threshold from private.settings: webhook_silence (against the '
  'workspace''s own traffic at this hour of the week), webhook_failures, webhook_rejections '
  '(refused and quarantined), mailbox_sync (freshness, failures, removals held), '
  'mailbox_disconnections (status groups), provider_reply_rate (latest day against its trailing '
  '7 days), net_requests (pg_net requests queued past their timeout), health_runs '
  '(check-system-health stopped running), cron_job (schedule, HTTP outcome, or a call stuck in '
  'pg_net''s queue) and metrics_drift (last complete local day against Bison''s stats). Values '
  'that are shares or rates are percentages. Part of private.evaluate_health_checks. Changes '
  'nothing.';

create function private.evaluate_health_checks(evaluated_at timestamptz default now())
returns setof private.health_check_result
language sql
stable
set search_path = ''
as $$
  select * from private.evaluate_mirror_checks(evaluated_at)
  union all
  select * from private.webhook_subscription_findings(evaluated_at);
$$;
comment on function private.evaluate_health_checks(timestamptz) is
  'Every health check as of evaluated_at: the checks computed from the mirror''s tables '
  '(private.evaluate_mirror_checks) and the webhook subscription checks '
  '(private.webhook_subscription_findings, check webhook_subscription). What '
  'private.run_health_checks stores and alerts on. Changes nothing.';
