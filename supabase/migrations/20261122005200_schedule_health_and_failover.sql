-- pg_cron runs the health checks every minute, starts emergency catch-ups for silent workspaces
-- (with a cooldown, so a quiet night never fires all night), fetches Bison's own daily stats for
-- drift checks, and prunes health history after 30 days.
create or replace function private.start_emergency_catchups(run_at timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  cooldown interval := private.setting_interval('catchup_cooldown', interval '10 minutes');
  workspace record;
  started integer := 0;
  catchup_id bigint;
begin
  for workspace in
    select h.workspace_id from public.system_health h
    join private.workspace_api_keys k on k.workspace_id = h.workspace_id
    where h.check_name = 'webhook_silence' and h.status = 'down'
      and not exists (
        select 1 from private.workspace_catchups c
        where c.workspace_id = h.workspace_id and c.started_at > run_at - cooldown
      )
    order by h.workspace_id
  loop
    insert into private.workspace_catchups (workspace_id, started_at)
    values (workspace.workspace_id, run_at)
    returning id into catchup_id;
    perform private.invoke_edge_function('check-system-health/catch-up',
      jsonb_build_object('workspace_id', workspace.workspace_id, 'catchup_id', catchup_id), 120000);
    started := started + 1;
  end loop;
  return started;
end;
$$;
comment on function private.start_emergency_catchups(timestamptz) is
  'Starts an emergency catch-up (check-system-health/catch-up, through pg_net) for each workspace '
  'with a key whose webhook_silence check is down and that had no catch-up within the '
  'catchup_cooldown setting (default 10 minutes). Returns how many it started.';

create or replace function private.prune_health_history(keep interval default interval '30 days')
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  deleted bigint := 0;
  batch bigint;
begin
  delete from private.system_health_history where recorded_at < now() - keep;
  get diagnostics batch = row_count;
  deleted := deleted + batch;
  delete from private.health_alerts where sent_at < now() - keep;
  get diagnostics batch = row_count;
  deleted := deleted + batch;
  delete from private.workspace_catchups where started_at < now() - keep;
  get diagnostics batch = row_count;
  return deleted + batch;
end;
$$;
comment on function private.prune_health_history(interval) is
  'Deletes health history, sent alerts and catch-up records older than keep (default 30 days).';

create or replace function private.schedule_health_jobs()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.schedule_job('check-system-health', '* * * * *',
    $job$select private.invoke_edge_function('check-system-health', '{}'::jsonb, 55000)$job$);
  perform private.schedule_job('emergency-catchup', '* * * * *',
    'select private.start_emergency_catchups()');
  -- Hourly, so that each connection's local midnight is followed within the hour.
  perform private.schedule_job('reconcile-bison-stats', '20 * * * *',
    $job$select private.invoke_edge_function('check-system-health/reconcile', '{}'::jsonb, 120000)$job$);
  perform private.schedule_job('prune-health-history', '23 4 * * *',
    'select private.prune_health_history()');
end;
$$;
comment on function private.schedule_health_jobs() is
  'Idempotently (re)creates the pg_cron jobs check-system-health and emergency-catchup (every '
  'minute), reconcile-bison-stats (hourly) and prune-health-history (daily).';

select private.schedule_health_jobs();

-- What the catch-up and reconciliation routes need about one workspace, its key included.
create or replace function private.workspace_api_access(target_workspace_id bigint)
returns table (
  workspace_id bigint,
  bison_workspace_id bigint,
  connection_id uuid,
  base_url text,
  api_key text,
  key_kind text,
  timezone text
)
language sql
stable
set search_path = ''
as $$
  select w.id, w.bison_workspace_id, w.connection_id, c.base_url, s.decrypted_secret, k.key_kind,
         private.workspace_timezone(w.id)
  from public.workspaces w
  join public.bison_connections c on c.id = w.connection_id
  join private.workspace_api_keys k on k.workspace_id = w.id
  join vault.decrypted_secrets s on s.id = k.vault_secret_id
  where target_workspace_id is null or w.id = target_workspace_id;
$$;
comment on function private.workspace_api_access(bigint) is
  'Base URL, API key and its kind (workspace or super_admin: a super-admin key must switch to '
  'the workspace first), and reporting time zone of a workspace (all workspaces with a key when '
  'null). For the service only: it returns secrets.';
