-- A disconnected connection raises no alarm: it sends no webhooks and is neither polled nor
-- reconciled any more, so its workspaces' silence, mailboxes, providers and drift are no news.
-- Reproduction: after `bison disconnect`, webhook_silence went down at the workspace's next busy
-- hour, and its last disconnected share and provider rates stayed degraded for ever.
begin;
select plan(5);

select * from tests.create_polled_workspace('leaving') \gset
-- Four weeks of traffic at this hour, and silence now.
insert into private.webhook_events (connection_id, workspace_id, event_type, idempotency_key,
                                    payload, received_at, occurred_at, status)
select :'connection_id', :workspace_id, 'email_sent', 'leaving:' || k || ':' || n, '{}',
       '2026-11-20 12:00Z'::timestamptz - make_interval(days => 7 * k) - interval '30 minutes',
       '2026-11-20 12:00Z'::timestamptz - make_interval(days => 7 * k) - interval '30 minutes',
       'processed'
from generate_series(1, 4) k, generate_series(1, 10) n;
-- Half its mailboxes disconnected; its provider's reply rate halved yesterday.
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status)
select :'connection_id', n, :workspace_id,
       case when n <= 5 then 'disconnected' else 'connected' end
from generate_series(1, 10) n;
insert into public.provider_performance_history (connection_id, day, provider, reseller,
  mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes, emails_sent_day,
  emails_sent_7d, emails_sent_30d, unique_replies_day, unique_replies_7d, unique_replies_30d,
  bounces_day, bounces_7d, bounces_30d, reply_rate_day_pct, reply_rate_7d_pct,
  reply_rate_30d_pct, total_daily_limit, utilisation_pct)
values (:'connection_id', '2026-11-19', 'Google', 'Zapmail', 10, 5, 5, 0, 400, 2800, 12000, 2,
        28, 120, 0, 0, 0, 0.50, 1.00, 1.00, 500, 80.00);

create temp table watched on commit drop as
  select check_name, status from private.evaluate_health_checks('2026-11-20 12:00Z')
  where connection_id = :'connection_id';
select results_eq(
  $$select check_name, status from watched
    where check_name in ('webhook_silence', 'mailbox_disconnections', 'provider_reply_rate')
    order by check_name$$,
  $$values ('mailbox_disconnections'::text, 'down'::text), ('provider_reply_rate', 'degraded'),
           ('webhook_silence', 'down')$$,
  'while connected, its silence, mailboxes and provider are watched');
select private.run_health_checks('2026-11-20 12:00Z');
select ok((select count(*) from public.system_health where connection_id = :'connection_id') > 0,
  'and stored');

select private.disconnect_connection(:'connection_id');
select is_empty(
  format($$select * from private.evaluate_health_checks('2026-11-20 12:05Z')
           where connection_id = %L$$, :'connection_id'),
  'once disconnected, none of its checks is evaluated');
delete from private.health_alerts;
select private.run_health_checks('2026-11-20 12:05Z');
select is_empty(
  format('select * from public.system_health where connection_id = %L', :'connection_id'),
  'its rows leave public.system_health');
select is_empty($$select * from private.health_alerts where kind = 'resolved'$$,
  'without announcing them as resolved');

select * from finish();
rollback;
