-- A month of mailbox snapshots (Chicago days) gives hand-computed day / 7-day / 30-day deltas,
-- mailbox counts, burnt counts, capacity and utilisation_pct per (provider, reseller). Covers a
-- mailbox new to the windows, a counter reset, a mailbox removed during the day (its sends count,
-- the mailbox does not), one removed before it (absent), and an unclassified mailbox.
begin;
select plan(12);

insert into public.bison_connections (name, base_url, timezone)
values ('pp-deltas', 'https://pp.example.test', 'America/Chicago') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client') returning id as ws \gset

create temp table mailbox (bison_id int primary key, provider text, reseller text, daily_limit int);
insert into mailbox values
  (1, 'Google', 'Zapmail', 50),
  (2, 'Google', 'Zapmail', 50),
  (3, 'Google', 'Zapmail', 50),
  (4, 'Google', 'Zapmail', 50),
  (5, 'Microsoft', null, 30),
  (6, 'Microsoft', null, 30),
  (7, null, null, 0),
  (8, 'Google', 'Zapmail', 50);

-- Lifetime counters as Bison reports them when each day's snapshot is taken.
create temp table counters (
  bison_id int, day date, sent bigint, replies bigint, bounced bigint, status text,
  removed_at timestamptz
);
insert into counters values
  -- 1: steady. day 100/1/0, 7d 500/4/2, 30d 1000/6/3; 16/2000 = 0.8% is not burnt.
  (1, '2024-03-01', 1000, 10, 5, 'connected', null),
  (1, '2024-03-24', 1500, 12, 6, 'connected', null),
  (1, '2024-03-28', 1700, 13, 7, 'connected', null),
  (1, '2024-03-30', 1900, 15, 8, 'connected', null),
  (1, '2024-03-31', 2000, 16, 8, 'connected', null),
  -- 2: burnt (1 reply in 500 = 0.2%). day 20, 7d 100, 30d 200.
  (2, '2024-03-01', 300, 1, 0, 'connected', null),
  (2, '2024-03-24', 400, 1, 0, 'connected', null),
  (2, '2024-03-28', 450, 1, 0, 'connected', null),
  (2, '2024-03-30', 480, 1, 0, 'connected', null),
  (2, '2024-03-31', 500, 1, 0, 'connected', null),
  -- 3: first seen on 28 March, disconnected by the end of the 31st. Counts from its first
  -- snapshot in both windows: day 10/1/1, 7d 60/1/1, 30d 60/1/1. Under 200 sent: not burnt.
  (3, '2024-03-28', 0, 0, 0, 'connected', null),
  (3, '2024-03-30', 50, 0, 0, 'connected', null),
  (3, '2024-03-31', 60, 1, 1, 'disconnected', null),
  -- 4: Bison reset its counters between the 28th and the 30th: that day adds nothing and 40
  -- becomes the baseline. day 50/1, 7d 150/2, 30d 350/4.
  (4, '2024-03-01', 5000, 50, 0, 'connected', null),
  (4, '2024-03-24', 5200, 52, 0, 'connected', null),
  (4, '2024-03-28', 5300, 53, 0, 'connected', null),
  (4, '2024-03-30', 40, 0, 0, 'connected', null),
  (4, '2024-03-31', 90, 1, 0, 'connected', null),
  -- 5: nothing sent on the day. day 0/0, 7d 50/1, 30d 100/1.
  (5, '2024-03-01', 200, 2, 0, 'connected', null),
  (5, '2024-03-24', 250, 2, 0, 'connected', null),
  (5, '2024-03-28', 260, 2, 0, 'connected', null),
  (5, '2024-03-30', 300, 3, 0, 'connected', null),
  (5, '2024-03-31', 300, 3, 0, 'connected', null),
  -- 6: removed at noon on the 31st: its 10 sends count, the mailbox (burnt-looking) does not.
  (6, '2024-03-01', 1000, 2, 0, 'connected', null),
  (6, '2024-03-24', 1000, 2, 0, 'connected', null),
  (6, '2024-03-28', 1000, 2, 0, 'connected', null),
  (6, '2024-03-30', 1000, 2, 0, 'connected', null),
  (6, '2024-03-31', 1010, 2, 0, 'removed', '2024-03-31 12:00 America/Chicago'),
  -- 7: no provider or reseller, first seen on the 31st: counted, nothing sent in any window.
  (7, '2024-03-31', 25, 0, 0, 'connected', null),
  -- 8: burnt-looking, removed on the 29th: no snapshot from the 30th on.
  (8, '2024-03-01', 900, 0, 0, 'connected', null),
  (8, '2024-03-24', 900, 0, 0, 'connected', null),
  (8, '2024-03-28', 900, 0, 0, 'connected', null),
  (8, '2024-03-30', 900, 0, 0, 'removed', '2024-03-29 10:00 America/Chicago'),
  (8, '2024-03-31', 900, 0, 0, 'removed', '2024-03-29 10:00 America/Chicago');

-- Brings public.sender_emails to what Bison reports at the end of that day.
create function pg_temp.bison_reports(target_day date) returns void language sql as $$
  insert into public.sender_emails as s (
    connection_id, bison_sender_email_id, workspace_id, email, status, daily_limit, provider,
    reseller, emails_sent, unique_replies, bounced, removed_at)
  select w.connection_id, m.bison_id, w.id, 'box' || m.bison_id || '@pp.example.test', c.status,
         m.daily_limit, m.provider, m.reseller, c.sent, c.replies, c.bounced, c.removed_at
  from pg_temp.counters c
  join pg_temp.mailbox m using (bison_id)
  cross join (select w.id, w.connection_id from public.workspaces w
              join public.bison_connections b on b.id = w.connection_id
              where b.name = 'pp-deltas') w
  where c.day = target_day
  on conflict (connection_id, bison_sender_email_id) do update set
    status = excluded.status, emails_sent = excluded.emails_sent,
    unique_replies = excluded.unique_replies, bounced = excluded.bounced,
    removed_at = excluded.removed_at;
$$;

select pg_temp.bison_reports('2024-03-01');
select private.snapshot_sender_emails(:'conn', '2024-03-01');
select pg_temp.bison_reports('2024-03-24');
select private.snapshot_sender_emails(:'conn', '2024-03-24');
select pg_temp.bison_reports('2024-03-28');
select private.snapshot_sender_emails(:'conn', '2024-03-28');
select pg_temp.bison_reports('2024-03-30');
select is(private.snapshot_sender_emails(:'conn', '2024-03-30'), 6,
  'the 30 March snapshot leaves out the mailbox removed on the 29th');

-- The day ends; at 00:05 CDT on 1 April the calculation snapshots it, then computes.
select pg_temp.bison_reports('2024-03-31');
select is(
  private.calculate_provider_performance(:'conn', '2024-03-31', '2024-04-01 05:05+00'), 3,
  'three (provider, reseller) rows for 31 March');

select results_eq(
  $$select s.day, s.emails_sent_running, s.unique_replies_running
    from public.sender_email_daily_snapshots s join public.sender_emails m on m.id = s.sender_email_id
    where m.bison_sender_email_id = 4 order by s.day$$,
  $$values ('2024-03-01'::date, 0::bigint, 0::bigint), ('2024-03-24', 200, 2),
           ('2024-03-28', 300, 3), ('2024-03-30', 300, 3), ('2024-03-31', 350, 4)$$,
  'running totals start at 0, add increases, and a reset adds nothing and starts a new baseline');
select results_eq(
  $$select m.bison_sender_email_id::int, s.status from public.sender_email_daily_snapshots s
    join public.sender_emails m on m.id = s.sender_email_id
    where s.day = '2024-03-31' order by 1$$,
  $$values (1, 'connected'), (2, 'connected'), (3, 'disconnected'), (4, 'connected'),
           (5, 'connected'), (6, 'removed'), (7, 'connected')$$,
  'the 31 March snapshot: every mailbox not removed before the day, as it ended');

select results_eq(
  $$select mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes
    from public.provider_performance_history
    where connection_id = (select id from public.bison_connections where name = 'pp-deltas')
      and provider = 'Google' and reseller = 'Zapmail' and day = '2024-03-31'$$,
  $$values (4, 3, 1, 1)$$,
  'Google/Zapmail: 4 mailboxes, 3 connected, 1 disconnected, 1 burnt (the removed one is gone)');
select results_eq(
  $$select emails_sent_day, emails_sent_7d, emails_sent_30d,
           unique_replies_day, unique_replies_7d, unique_replies_30d,
           bounces_day, bounces_7d, bounces_30d
    from public.provider_performance_history
    where provider = 'Google' and reseller = 'Zapmail' and day = '2024-03-31'$$,
  $$values (180::bigint, 810::bigint, 1610::bigint, 3::bigint, 7::bigint, 11::bigint,
            1::bigint, 3::bigint, 4::bigint)$$,
  'Google/Zapmail sends 100+20+10+50, 500+100+60+150, 1000+200+60+350; replies and bounces');
select results_eq(
  $$select reply_rate_day_pct, reply_rate_7d_pct, reply_rate_30d_pct, total_daily_limit, utilisation_pct
    from public.provider_performance_history
    where provider = 'Google' and reseller = 'Zapmail' and day = '2024-03-31'$$,
  $$values (1.67, 0.86, 0.68, 150::bigint, 120.00)$$,
  'Google/Zapmail rates as percentages (3/180, 7/810, 11/1610), capacity of the 3 connected '
  'mailboxes, utilisation 120 %');

select results_eq(
  $$select mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes,
           emails_sent_day, emails_sent_7d, emails_sent_30d,
           unique_replies_day, unique_replies_7d, unique_replies_30d
    from public.provider_performance_history
    where provider = 'Microsoft' and reseller is null and day = '2024-03-31'$$,
  $$values (1, 1, 0, 0, 10::bigint, 60::bigint, 110::bigint, 0::bigint, 1::bigint, 1::bigint)$$,
  'Microsoft/no reseller: the removed mailbox''s 10 sends count, it is neither counted nor burnt');
select results_eq(
  $$select reply_rate_day_pct, reply_rate_7d_pct, reply_rate_30d_pct, total_daily_limit, utilisation_pct
    from public.provider_performance_history
    where provider = 'Microsoft' and reseller is null and day = '2024-03-31'$$,
  $$values (0.00, 1.67, 0.91, 30::bigint, 33.33)$$,
  'Microsoft rates: 0 replies in the day is a rate of 0, not null');

select results_eq(
  $$select mailboxes_total, mailboxes_connected, emails_sent_day, emails_sent_30d,
           reply_rate_day_pct, reply_rate_30d_pct, total_daily_limit, utilisation_pct
    from public.provider_performance_history
    where provider is null and reseller is null and day = '2024-03-31'$$,
  $$values (1, 1, 0::bigint, 0::bigint, null::numeric, null::numeric, 0::bigint, null::numeric)$$,
  'unclassified: counted, nothing sent, so no rates and no utilisation_pct (capacity 0)');

select is(
  (select count(*) from public.provider_performance_history
   where connection_id = :'conn' and day <> '2024-03-31'),
  0::bigint, 'only the requested day is written');
select results_eq(
  $$select day, snapshots_taken, rows_written from private.provider_performance_runs
    where connection_id = (select id from public.bison_connections where name = 'pp-deltas')$$,
  $$values ('2024-03-31'::date, 7, 3)$$, 'the run is recorded with the snapshots it took');

select * from finish();
rollback;
