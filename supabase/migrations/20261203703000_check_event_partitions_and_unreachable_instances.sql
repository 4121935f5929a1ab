-- Two health checks for what the scaling work added:
-- - webhook_event_storage (global): ingest fails for a day that has no partition of
--   webhook_events, so the check goes degraded when fewer than two days ahead are ready and down
--   under six hours, well before the hourly job's failure would lose a delivery;
-- - bison_instance (per connection): polling has left an unreachable instance alone (its circuit
--   breaker is open), with the last failure and until when.
create or replace function private.polling_and_storage_findings(evaluated_at timestamptz)
returns setof private.health_check_result
language sql
stable
set search_path = ''
as $$
  select 'webhook_event_storage', 'global', null::bigint, null::uuid,
    case when ready.until < evaluated_at + interval '6 hours' then 'down'
         when ready.until < evaluated_at + interval '2 days' then 'degraded'
         else 'healthy' end,
    round(extract(epoch from greatest(ready.until - evaluated_at, interval '0')) / 3600, 1),
    case when ready.until < evaluated_at + interval '2 days' then
      format('webhook_events has partitions only until %s: deliveries after that fail (is the '
             'maintain-webhook-events job running?)', ready.until)
    else format('partitions ready until %s', ready.until) end
  from (
    -- The end of the run of consecutive partitions from the one holding evaluated_at.
    with recursive parts as (
      select p.starts_at, p.ends_at from private.webhook_event_partitions() p
    ),
    ready_run as (
      select p.ends_at from parts p where p.starts_at <= evaluated_at and p.ends_at > evaluated_at
      union all
      select p.ends_at from ready_run r join parts p on p.starts_at = r.ends_at
    )
    select coalesce(max(r.ends_at), evaluated_at) as until from ready_run r
  ) ready
  union all
  select 'bison_instance', 'connection:' || c.connection_id, null::bigint, c.connection_id,
    case when c.breaker_open_until is not null then 'down' else 'healthy' end,
    c.breaker_opens::numeric,
    case when c.breaker_open_until is not null then
      format('%s does not answer (%s): polling leaves it alone until %s, then tries again',
             b.base_url, coalesce(c.breaker_error, 'no answer'),
             date_trunc('second', c.breaker_open_until))
    else 'the instance answers' end
  from private.connection_poll_state c
  join public.bison_connections b on b.id = c.connection_id;
$$;
comment on function private.polling_and_storage_findings(timestamptz) is
  'The health checks webhook_event_storage (global: hours of webhook_events partitions ready '
  'ahead of evaluated_at; degraded under 2 days, down under 6 hours) and bison_instance (per '
  'polled connection: down while polling''s circuit breaker leaves the instance alone; value: '
  'cool-downs in a row).';

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
    union all
    select * from private.polling_and_storage_findings(evaluated_at)
  ) r
  where r.connection_id is null
     or not exists (select 1 from public.bison_connections c
                    where c.id = r.connection_id and c.disconnected_at is not null);
$$;
comment on function private.evaluate_health_checks(timestamptz) is
  'Every health check as of evaluated_at: the checks computed from the mirror''s tables '
  '(private.evaluate_mirror_checks), the webhook subscription checks '
  '(private.webhook_subscription_findings, check webhook_subscription) and the storage and '
  'instance checks (private.polling_and_storage_findings: webhook_event_storage, '
  'bison_instance), except findings about a disconnected connection or its workspaces '
  '(bison_connections.disconnected_at set): nothing is expected of them any more. What '
  'private.run_health_checks stores and alerts on. Changes nothing.';
