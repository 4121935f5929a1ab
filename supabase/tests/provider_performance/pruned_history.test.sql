-- A window never reaches back past its start: when a mailbox has no snapshot at the start (days
-- the job missed, older snapshots pruned) it counts from its first snapshot inside the window,
-- whose running total is not 0. Snapshots older than sender_email_snapshot_retention are pruned.
begin;
select plan(4);

insert into public.bison_connections (name, base_url, timezone)
values ('pp-pruned', 'https://pp.example.test', 'UTC') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client') returning id as ws \gset
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  daily_limit, provider, emails_sent, unique_replies, bounced)
values (:'conn', 1, :ws, 'connected', 30, 'Google', 7000, 70, 7) returning id as box \gset

-- A patchy history: 300 days ago, then 21 June, then 30 June (the day before the computed one).
insert into public.sender_email_daily_snapshots (sender_email_id, day, connection_id, workspace_id,
  status, daily_limit, provider, emails_sent, unique_replies, bounced, emails_sent_running,
  unique_replies_running, bounced_running)
values (:box, '2025-09-07', :'conn', :ws, 'connected', 30, 'Google', 1000, 10, 1, 900, 9, 1),
       (:box, '2026-06-21', :'conn', :ws, 'connected', 30, 'Google', 6000, 60, 6, 5900, 59, 6),
       (:box, '2026-06-30', :'conn', :ws, 'connected', 30, 'Google', 6900, 69, 7, 6800, 68, 7);

select is(private.calculate_provider_performance(:'conn', '2026-07-01', '2026-07-02 00:05+00'),
  1, 'the day is computed');
select results_eq(
  format($$select day, emails_sent_running from public.sender_email_daily_snapshots
           where connection_id = %L order by day$$, :'conn'),
  $$values ('2026-06-21'::date, 5900::bigint), ('2026-06-30', 6800), ('2026-07-01', 6900)$$,
  'the 300-day-old snapshot is pruned (retention 180 days), younger ones are kept');
select results_eq(
  format($$select emails_sent_day, emails_sent_7d, emails_sent_30d, unique_replies_30d,
                  bounces_30d
           from public.provider_performance_history where connection_id = %L$$, :'conn'),
  $$values (100::bigint, 100::bigint, 1000::bigint, 10::bigint, 1::bigint)$$,
  'a window without a snapshot at its start counts from the first one inside it: 7 days from '
  '30 June, 30 days from 21 June, never from the 300-day-old one');

update private.settings set value = '"30 days"' where key = 'sender_email_snapshot_retention';
select throws_ok(
  format($$select private.calculate_provider_performance(%L, '2026-07-01', '2026-07-02 00:05+00')$$,
         :'conn'),
  '55000', null, 'a retention shorter than the 30-day window is refused');

select * from finish();
rollback;
