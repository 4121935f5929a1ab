-- Every scheduled job is created through this one function: where pg_cron is missing it says so
-- instead of failing the migration, and pg_cron updates a job of the same name in place, so a
-- migration or an operator can run it again and still leave exactly one job.
create or replace function private.schedule_job(job_name text, schedule text, command text)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  if to_regnamespace('cron') is null then
    raise notice 'pg_cron is not installed: job % is not scheduled and runs only on demand',
      job_name;
    return false;
  end if;
  perform cron.schedule(job_name, schedule, command);
  return true;
end;
$$;
comment on function private.schedule_job(text, text, text) is
  'Creates the pg_cron job job_name, or updates it in place when it exists. Returns false (with '
  'a notice) where pg_cron is not installed.';
