-- pg_cron runs in UTC, and connections report in their own zones: an hourly job at :05 calls
-- calculate-provider-performance, which computes only the connections whose local day has just
-- ended (private.provider_performance_due), so DST and half-hour offsets never move it.
create or replace function private.schedule_provider_performance()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.schedule_job('calculate-provider-performance', '5 * * * *',
    $job$select private.invoke_edge_function('calculate-provider-performance', '{}'::jsonb, 120000)$job$);
end;
$$;
comment on function private.schedule_provider_performance() is
  'Idempotently (re)creates the pg_cron job calculate-provider-performance: every hour at :05 '
  'UTC it calls the function through private.invoke_edge_function, which computes the '
  'connections whose local day has just ended.';

select private.schedule_provider_performance();
