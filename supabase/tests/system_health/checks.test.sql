-- The checks' verdicts on hand-built situations, evaluated at a fixed instant.
begin;
select plan(13);

insert into public.bison_connections (name, base_url) values ('pgtap', 'https://x.example.test');
insert into public.workspaces (connection_id, bison_workspace_id, name)
select id, 1, 'Acme' from public.bison_connections where name = 'pgtap';
create temp table ws as
  select w.id, w.connection_id from public.workspaces w
  join public.bison_connections c on c.id = w.connection_id where c.name = 'pgtap';

-- 2 of 20 mailboxes disconnected: 10% > 5% is degraded.
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status)
select ws.connection_id, n, ws.id, case when n <= 2 then 'disconnected' else 'connected' end
from ws, generate_series(1, 20) n;
select results_eq(
  $$select status, value from private.evaluate_health_checks('2026-11-20 12:00Z')
    where check_name = 'mailbox_disconnections' and workspace_id = (select id from ws)$$,
  $$values ('degraded'::text, 10.00::numeric)$$, '10% disconnected is degraded (value in %)');
update public.sender_emails set status = 'disconnected'
where workspace_id = (select id from ws) and bison_sender_email_id <= 5;
select is(
  (select status from private.evaluate_health_checks('2026-11-20 12:00Z')
   where check_name = 'mailbox_disconnections' and workspace_id = (select id from ws)),
  'down', '25% disconnected is down');

-- Drift: webhooks counted 100 sends on the 19th, Bison says 130.
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent)
select id, '2026-11-19', 100 from ws;
insert into public.bison_daily_stats (workspace_id, day, emails_sent)
select id, '2026-11-19', 130 from ws;
select results_eq(
  $$select status, value from private.evaluate_health_checks('2026-11-20 12:00Z')
    where check_name = 'metrics_drift' and workspace_id = (select id from ws)$$,
  $$values ('degraded'::text, 23.08::numeric)$$, '30 of 130 sends missing is drift (23.08 %)');
update public.bison_daily_stats set emails_sent = 104 where workspace_id = (select id from ws);
select is(
  (select status from private.evaluate_health_checks('2026-11-20 12:00Z')
   where check_name = 'metrics_drift' and workspace_id = (select id from ws)),
  'healthy', 'a few events of difference is not drift');

-- A cron job whose last call was answered with a 500.
select tests.schedule_function_job('pgtap-probe', '*/5 * * * *', 'pgtap-probe',
                                   '2026-11-20 11:58Z');
insert into private.edge_function_calls (request_id, function_path, called_at)
values (987654321, 'pgtap-probe', '2026-11-20 11:58Z');
insert into net._http_response (id, status_code, content, timed_out, created)
values (987654321, 500, 'boom', false, '2026-11-20 11:58Z');
select results_eq(
  $$select status, message from private.evaluate_health_checks('2026-11-20 12:00Z')
    where check_name = 'cron_job' and scope = 'job:pgtap-probe'$$,
  $$values ('down'::text, 'pgtap-probe answered HTTP 500'::text)$$,
  'a run that only queued a request is judged by the HTTP answer');
update net._http_response set status_code = 200 where id = 987654321;
select is(
  (select status from private.evaluate_health_checks('2026-11-20 12:00Z')
   where check_name = 'cron_job' and scope = 'job:pgtap-probe'),
  'healthy', 'answered 200 on schedule');
select is(
  (select status from private.evaluate_health_checks('2026-11-20 12:30Z')
   where check_name = 'cron_job' and scope = 'job:pgtap-probe'),
  'down', 'a 5-minute job silent for 32 minutes is down');
select cron.alter_job(jobid, active := false) from cron.job where jobname = 'pgtap-probe';
select is(
  (select count(*) from private.evaluate_health_checks('2026-11-20 12:30Z')
   where check_name = 'cron_job' and scope = 'job:pgtap-probe'),
  0::bigint, 'a paused job is not checked');

-- A provider whose reply rate fell by half yesterday (400 sends) is degraded.
insert into public.provider_performance_history (connection_id, day, provider, reseller,
  mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes, emails_sent_day,
  emails_sent_7d, emails_sent_30d, unique_replies_day, unique_replies_7d, unique_replies_30d,
  bounces_day, bounces_7d, bounces_30d, reply_rate_day_pct, reply_rate_7d_pct,
  reply_rate_30d_pct, total_daily_limit, utilisation_pct)
select connection_id, '2026-11-19', 'Google', 'Zapmail', 10, 10, 0, 0, 400, 2800, 12000, 2, 28,
       120, 0, 0, 0, 0.50, 1.00, 1.00, 500, 80.00
from ws;
select results_eq(
  $$select status, value from private.evaluate_health_checks('2026-11-20 12:00Z')
    where check_name = 'provider_reply_rate'
      and connection_id = (select connection_id from ws)$$,
  $$values ('degraded'::text, 0.50::numeric)$$, 'a reply rate halved against 7 days is degraded');
update public.provider_performance_history set reply_rate_day_pct = 0.90, unique_replies_day = 4
where connection_id = (select connection_id from ws);
select is(
  (select status from private.evaluate_health_checks('2026-11-20 12:00Z')
   where check_name = 'provider_reply_rate' and connection_id = (select connection_id from ws)),
  'healthy', 'a 10% dip is not');

-- A disconnect reported late (Bison's time an hour ago) is still announced once.
select private.run_health_checks(now());
update public.sender_emails set status = 'connected' where bison_sender_email_id = 20
  and workspace_id = (select id from ws);
update public.sender_emails set status = 'disconnected', disconnected_at = now() - interval '1 hour'
where bison_sender_email_id = 20 and workspace_id = (select id from ws);
select private.run_health_checks(now() + interval '1 minute');
select is(
  (select count(*) from private.health_alerts where kind = 'disconnects'
     and message::text like '%#20%'), 1::bigint, 'a late disconnect is announced');
select private.run_health_checks(now() + interval '2 minutes');
select is(
  (select count(*) from private.health_alerts where kind = 'disconnects'
     and (message::text like '%#20%')), 1::bigint, 'and only once');

-- Silence with no history is a quiet hour.
select is(
  (select status from private.evaluate_health_checks('2026-11-20 12:00Z')
   where check_name = 'webhook_silence' and workspace_id = (select id from ws)),
  'healthy', 'no usual traffic, no silence alert');

select * from finish();
rollback;
