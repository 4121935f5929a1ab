-- Ratios are plain numeric: a jump from 1 to 10,000 (sends against a capacity of 1, replies
-- against 1 send) is stored as it is, and nothing sent or no capacity gives null, not an error.
begin;
select plan(8);

select is(
  (select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                     order by a.attname)
   from pg_catalog.pg_attribute a
   where a.attrelid = 'public.provider_performance_history'::regclass
     and a.attname in ('reply_rate_day_pct', 'reply_rate_7d_pct', 'reply_rate_30d_pct',
                       'utilisation_pct')),
  'reply_rate_30d_pct numeric, reply_rate_7d_pct numeric, reply_rate_day_pct numeric, '
  'utilisation_pct numeric',
  'every stored ratio is numeric without a precision cap');

insert into public.bison_connections (name, base_url, timezone)
values ('pp-ratios', 'https://pp.example.test', 'UTC') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client') returning id as ws \gset

-- Google sends 1 on the 1st, then 10,001 lifetime on the 2nd with a daily limit of 1.
-- Microsoft sends 1 and gets 10,000 replies (a Bison counter glitch) with no connected capacity.
-- Outlook sends nothing at all; Idle has nothing sent and no connected mailbox.
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  daily_limit, provider, reseller, emails_sent, unique_replies, bounced)
values (:'conn', 1, :ws, 'connected', 1, 'Google', null, 0, 0, 0),
       (:'conn', 2, :ws, 'connected', 0, 'Microsoft', null, 0, 0, 0),
       (:'conn', 3, :ws, 'connected', 50, 'Microsoft', 'Outlook', 0, 0, 0),
       (:'conn', 4, :ws, 'disconnected', 50, 'Google', 'Idle', 0, 0, 0);
select private.snapshot_sender_emails(:'conn', '2026-03-01');
update public.sender_emails set emails_sent = 1 where bison_sender_email_id in (1, 2)
  and connection_id = :'conn';
select private.snapshot_sender_emails(:'conn', '2026-03-02');
update public.sender_emails set emails_sent = 10001, unique_replies = 100
where bison_sender_email_id = 1 and connection_id = :'conn';
update public.sender_emails set emails_sent = 2, unique_replies = 10000
where bison_sender_email_id = 2 and connection_id = :'conn';

select lives_ok(
  $$select private.calculate_provider_performance(
      (select id from public.bison_connections where name = 'pp-ratios'), '2026-03-03',
      '2026-03-04 00:05+00')$$,
  'the day is computed without an overflow or a division by zero');

select results_eq(
  $$select emails_sent_day, total_daily_limit, utilisation_pct, reply_rate_day_pct
    from public.provider_performance_history where provider = 'Google' and reseller is null
      and connection_id = (select id from public.bison_connections where name = 'pp-ratios')$$,
  $$values (10000::bigint, 1::bigint, 1000000.00, 1.00)$$,
  '10,000 sent on a capacity of 1 is a utilisation of 1,000,000 %');
select results_eq(
  $$select emails_sent_day, unique_replies_day, reply_rate_day_pct, reply_rate_30d_pct
    from public.provider_performance_history where provider = 'Microsoft' and reseller is null
      and connection_id = (select id from public.bison_connections where name = 'pp-ratios')$$,
  $$values (1::bigint, 10000::bigint, 1000000.00, 500000.00)$$,
  '10,000 replies to 1 send is a rate of 1,000,000 %, stored as it is');
select is(
  (select utilisation_pct from public.provider_performance_history
   where provider = 'Microsoft' and reseller is null
     and connection_id = (select id from public.bison_connections where name = 'pp-ratios')),
  null, 'a capacity of 0 gives no utilisation_pct');
select results_eq(
  $$select emails_sent_day, reply_rate_day_pct, reply_rate_7d_pct, reply_rate_30d_pct, total_daily_limit,
           utilisation_pct
    from public.provider_performance_history where reseller = 'Outlook'
      and connection_id = (select id from public.bison_connections where name = 'pp-ratios')$$,
  $$values (0::bigint, null::numeric, null::numeric, null::numeric, 50::bigint, 0.00)$$,
  'nothing sent: no reply rates, and a utilisation of 0 of a real capacity');
select results_eq(
  $$select mailboxes_total, mailboxes_connected, mailboxes_disconnected, total_daily_limit,
           utilisation_pct
    from public.provider_performance_history where reseller = 'Idle'
      and connection_id = (select id from public.bison_connections where name = 'pp-ratios')$$,
  $$values (1, 0, 1, 0::bigint, null::numeric)$$,
  'a disconnected mailbox is no capacity: no utilisation_pct');

select results_eq(
  $$select emails_sent_30d, unique_replies_30d, reply_rate_30d_pct
    from public.provider_performance_history where provider = 'Google' and reseller is null
      and connection_id = (select id from public.bison_connections where name = 'pp-ratios')$$,
  $$values (10001::bigint, 100::bigint, 1.00)$$,
  'a mailbox younger than the 30-day window counts from its first snapshot');

select * from finish();
rollback;
