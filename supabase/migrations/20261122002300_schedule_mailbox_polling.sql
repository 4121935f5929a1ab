-- pg_cron calls poll-sender-emails every 5 minutes through the cron helper, and keeps the history
-- tables of pg_cron and pg_net from growing forever.
create or replace function private.prune_job_history(keep interval default interval '7 days')
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  deleted bigint := 0;
  batch bigint;
begin
  if to_regclass('cron.job_run_details') is not null then
    delete from cron.job_run_details where end_time < now() - keep;
    get diagnostics batch = row_count;
    deleted := deleted + batch;
  end if;
  delete from private.edge_function_calls where called_at < now() - keep;
  get diagnostics batch = row_count;
  deleted := deleted + batch;
  if to_regclass('net._http_response') is not null then
    delete from net._http_response where created < now() - keep;
    get diagnostics batch = row_count;
    deleted := deleted + batch;
  end if;
  return deleted;
end;
$$;
comment on function private.prune_job_history(interval) is
  'Deletes pg_cron run details, pg_net responses and the edge function call log older than keep '
  '(default 7 days). Returns the number of rows deleted.';

create or replace function private.schedule_mailbox_polling()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.schedule_job('poll-sender-emails', '*/5 * * * *',
    $job$select private.invoke_edge_function('poll-sender-emails', '{}'::jsonb, 150000)$job$);
  perform private.schedule_job('prune-job-history', '41 * * * *',
    'select private.prune_job_history()');
end;
$$;
comment on function private.schedule_mailbox_polling() is
  'Idempotently (re)creates the pg_cron jobs poll-sender-emails (every 5 minutes, through '
  'private.invoke_edge_function) and prune-job-history (hourly).';

select private.schedule_mailbox_polling();
