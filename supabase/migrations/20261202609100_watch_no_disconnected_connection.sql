-- A disconnected connection (bison disconnect: no credential kept, history readable) sends no
-- webhooks and is neither polled nor reconciled any more, so its workspaces fell silent at their
-- busy hours, its last mailbox statuses, provider rates and drift stayed as they were, and the
-- checks reported all of it for ever. The health evaluation leaves out every finding about a
-- disconnected connection or one of its workspaces, in one place: the next run drops their rows
-- from public.system_health without announcing a resolution.
create or replace function private.evaluate_health_checks(evaluated_at timestamptz default now())
returns setof private.health_check_result
language sql
stable
set search_path = ''
as $$
  select r.*
  from (
    select * from private.evaluate_mirror_checks(evaluated_at)
    union all
    select * from private.webhook_subscription_findings(evaluated_at)
  ) r
  where r.connection_id is null
     or not exists (select 1 from public.bison_connections c
                    where c.id = r.connection_id and c.disconnected_at is not null);
$$;
comment on function private.evaluate_health_checks(timestamptz) is
  'Every health check as of evaluated_at: the checks computed from the mirror''s tables '
  '(private.evaluate_mirror_checks) and the webhook subscription checks '
  '(private.webhook_subscription_findings, check webhook_subscription), except findings about a '
  'disconnected connection or its workspaces (bison_connections.disconnected_at set): nothing is '
  'expected of them any more. What private.run_health_checks stores and alerts on. Changes '
  'nothing.';
