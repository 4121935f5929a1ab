-- No JIT compilation in this database. The queries here are short lookups and aggregates over
-- indexed ranges, whose estimated cost over many partitions (webhook_events has one a day)
-- crosses jit_above_cost although they run in milliseconds: JIT then compiles for seconds. A
-- dashboard reading public.webhook_health took 3.4 s instead of 30 ms, and one health
-- evaluation 6 s instead of 40 ms. The database's default applies to every session (functions,
-- the Data API, pg_cron); a session may still turn it on for itself.
do $$
begin
  execute format('alter database %I set jit = off', current_database());
end
$$;
