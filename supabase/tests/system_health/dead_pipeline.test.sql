-- A dead pipeline is noticed even when the alerting path is dead. Reproduction: with pg_net's
-- worker stopped, requests stayed queued, system_health stopped updating, and cron_job still
-- said healthy (pg_cron's runs "succeeded": they only queued requests).
begin;
select plan(9);

-- check-system-health ran at 11:50 and queued its call at 11:56; pg_net never sent it.
select tests.schedule_function_job('pgtap-dead', '* * * * *', 'pgtap-dead', '2026-11-20 11:59Z');
insert into net.http_request_queue (id, method, url, headers, body, timeout_milliseconds)
values (987650001, 'POST', 'http://127.0.0.1:9/functions/v1/pgtap-dead', '{}', null, 55000);
insert into private.edge_function_calls (request_id, function_path, called_at)
values (987650001, 'pgtap-dead', '2026-11-20 11:56Z');
select private.record_health_function_run('2026-11-20 11:50Z');

create temp table checks as select * from private.evaluate_health_checks('2026-11-20 12:00Z');
select results_eq(
  $$select status, message from checks where check_name = 'cron_job' and scope = 'job:pgtap-dead'$$,
  $$values ('down'::text,
    'its call to pgtap-dead has waited in pg_net''s queue for 00:04:00, longer than its timeout'::text)$$,
  'a job whose request pg_net never sent is down (it said "on schedule")');
select results_eq(
  $$select status, value from checks where check_name = 'net_requests'$$,
  $$values ('down'::text, 1::numeric)$$, 'net_requests: one request stuck past its timeout');
select results_eq(
  $$select status, message from checks where check_name = 'health_runs'$$,
  $$values ('down'::text,
    'check-system-health last ran 00:10:00 ago: alerts are not being delivered'::text)$$,
  'health_runs: the function stopped running');

-- A request still within its timeout is not stuck.
select is(
  (select status from private.evaluate_health_checks('2026-11-20 11:57Z')
   where check_name = 'net_requests'), 'healthy', 'a request still within its timeout is fine');

-- The watchdog (pure SQL, no pg_net) evaluates the checks itself once they are stale...
delete from public.system_health;
delete from private.health_state where key = 'last_checked_at';
select is((private.run_health_checks_if_unattended(now()) ->> 'ran')::boolean, true,
  'the watchdog runs the checks when nothing has');
select is((select status from public.system_health where check_name = 'net_requests'), 'down',
  'so system_health shows the dead pipeline');
-- (Only this transaction's message: pg_cron's own jobs run beside the test in this database.)
select is(
  (select count(*)::int from realtime.messages where topic = 'health' and event = 'health_updated'
     and inserted_at = now()::timestamp),
  1, 'and the health topic is told');
-- ...and leaves them alone while they run.
select is((private.run_health_checks_if_unattended(now()) ->> 'ran')::boolean, false,
  'it does nothing while the checks are fresh');
select is(
  (select jobname from cron.job where jobname = 'health-watchdog'
     and command = 'select private.run_health_checks_if_unattended()'),
  'health-watchdog', 'the watchdog is a pg_cron job of its own, needing no pg_net');

select * from finish();
rollback;
