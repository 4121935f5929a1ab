-- Re-running a day replaces that day's rows and gives the same rows: the day's snapshot is taken
-- once (counters that moved after midnight do not leak in), a later recompute reads the stored
-- snapshots, rows of other days are left alone, and a setting change shows on the next run.
begin;
select plan(9);

insert into public.bison_connections (name, base_url, timezone)
values ('pp-rerun', 'https://pp.example.test', 'Europe/Berlin') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client') returning id as ws \gset

insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  daily_limit, provider, reseller, emails_sent, unique_replies, bounced)
values (:'conn', 1, :ws, 'connected', 40, 'Google', 'Mailr', 1000, 10, 1),
       (:'conn', 2, :ws, 'connected', 40, 'Microsoft', 'Mailr', 300, 6, 0);
select private.snapshot_sender_emails(:'conn', '2026-01-09');

-- 10 January in Berlin: 100 and 20 more sent.
update public.sender_emails set emails_sent = emails_sent + 100, unique_replies = unique_replies + 1
where connection_id = :'conn' and bison_sender_email_id = 1;
update public.sender_emails set emails_sent = emails_sent + 20
where connection_id = :'conn' and bison_sender_email_id = 2;

-- A row of another day, and a stale row of the day for a group that no longer exists.
insert into public.provider_performance_history (connection_id, day, provider, reseller,
  mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes,
  emails_sent_day, emails_sent_7d, emails_sent_30d, unique_replies_day, unique_replies_7d,
  unique_replies_30d, bounces_day, bounces_7d, bounces_30d, total_daily_limit)
values (:'conn', '2026-01-09', 'Google', 'Mailr', 1, 1, 0, 0, 5, 5, 5, 0, 0, 0, 0, 0, 0, 40),
       (:'conn', '2026-01-10', 'Google', 'Zapmail', 9, 9, 0, 0, 9, 9, 9, 0, 0, 0, 0, 0, 0, 9);

-- 00:05 in Berlin on 11 January is 23:05 UTC on the 10th.
select is(private.calculate_provider_performance(:'conn', '2026-01-10', '2026-01-10 23:05+00'),
  2, 'the first run writes two rows');
create temp table first_run as
  select provider, reseller, mailboxes_total, mailboxes_connected, mailboxes_disconnected,
         burnt_mailboxes, emails_sent_day, emails_sent_7d, emails_sent_30d, unique_replies_day,
         unique_replies_7d, unique_replies_30d, bounces_day, bounces_7d, bounces_30d,
         reply_rate_day_pct, reply_rate_7d_pct, reply_rate_30d_pct, total_daily_limit, utilisation_pct
  from public.provider_performance_history where connection_id = :'conn' and day = '2026-01-10';

select results_eq(
  $$select provider, emails_sent_day, unique_replies_day, burnt_mailboxes from first_run
    order by provider$$,
  $$values ('Google'::text, 100::bigint, 1::bigint, 0), ('Microsoft', 20, 0, 0)$$,
  'the day''s sends and replies; the stale Zapmail row is gone');

-- Sending goes on after midnight; the cron catch-up an hour later runs the same day again.
update public.sender_emails set emails_sent = emails_sent + 500 where connection_id = :'conn';
select is(private.calculate_provider_performance(:'conn', '2026-01-10', '2026-01-11 00:05+00'),
  2, 'a second run writes two rows again');
select results_eq(
  $$select provider, reseller, mailboxes_total, mailboxes_connected, mailboxes_disconnected,
           burnt_mailboxes, emails_sent_day, emails_sent_7d, emails_sent_30d, unique_replies_day,
           unique_replies_7d, unique_replies_30d, bounces_day, bounces_7d, bounces_30d,
           reply_rate_day_pct, reply_rate_7d_pct, reply_rate_30d_pct, total_daily_limit, utilisation_pct
    from public.provider_performance_history where day = '2026-01-10'
      and connection_id = (select id from public.bison_connections where name = 'pp-rerun')
    order by provider$$,
  $$select * from first_run order by provider$$,
  'the same rows: the snapshot of the day was kept, not retaken');

-- Days later, an operator recomputes it: no snapshot is taken, the stored ones are read.
select is(private.calculate_provider_performance(:'conn', '2026-01-10', '2026-01-20 12:00+00'),
  2, 'a recompute days later writes two rows');
select results_eq(
  $$select provider, emails_sent_day, reply_rate_day_pct from public.provider_performance_history
    where day = '2026-01-10'
      and connection_id = (select id from public.bison_connections where name = 'pp-rerun')
    order by provider$$,
  $$select provider, emails_sent_day, reply_rate_day_pct from first_run order by provider$$,
  'and they are still the same');

select results_eq(
  $$select provider, emails_sent_day from public.provider_performance_history
    where day = '2026-01-09'
      and connection_id = (select id from public.bison_connections where name = 'pp-rerun')$$,
  $$values ('Google'::text, 5::bigint)$$,
  'another day''s rows are untouched');

-- Under a 3% threshold both mailboxes are burnt: 11 replies in 1100 (1%), 6 in 320 (1.9%).
update private.settings set value = '3' where key = 'burnt_below_reply_rate_pct';
select private.calculate_provider_performance(:'conn', '2026-01-10', '2026-01-20 12:00+00');
select results_eq(
  $$select provider, burnt_mailboxes from public.provider_performance_history
    where day = '2026-01-10'
      and connection_id = (select id from public.bison_connections where name = 'pp-rerun')
    order by provider$$,
  $$values ('Google'::text, 1), ('Microsoft', 1)$$,
  'a changed setting shows on the next run, in place of the old rows');

select results_eq(
  $$select snapshots_taken, rows_written from private.provider_performance_runs
    where connection_id = (select id from public.bison_connections where name = 'pp-rerun')$$,
  $$values (2, 2)$$, 'one run record for the day: two snapshots were taken, once');

select * from finish();
rollback;
