-- Burnt = lifetime unique reply rate under burnt_below_reply_rate_pct (a percentage) with at least
-- burnt_min_emails_sent sent, both read from private.settings on every run; invalid settings stop
-- the run with 55000 instead of computing nonsense.
begin;
select plan(8);

select results_eq(
  $$select key, value from private.settings
    where key in ('burnt_below_reply_rate_pct', 'burnt_min_emails_sent') order by key$$,
  $$values ('burnt_below_reply_rate_pct', '0.4'::jsonb), ('burnt_min_emails_sent', '200')$$,
  'the defaults: 0.4% after 200 sends');

insert into public.bison_connections (name, base_url, timezone)
values ('pp-burnt', 'https://pp.example.test', 'UTC') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client') returning id as ws \gset

-- 1: 200 sent, 0 replies (0%)        2: 199 sent, 0 replies (under the minimum)
-- 3: 1000 sent, 4 replies (0.4%)     4: 1000 sent, 3 replies (0.3%)
-- 5: 5000 sent, 0 replies but disconnected (still a burnt mailbox)
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  daily_limit, provider, emails_sent, unique_replies, bounced)
values (:'conn', 1, :ws, 'connected', 30, 'Google', 200, 0, 0),
       (:'conn', 2, :ws, 'connected', 30, 'Google', 199, 0, 0),
       (:'conn', 3, :ws, 'connected', 30, 'Google', 1000, 4, 0),
       (:'conn', 4, :ws, 'connected', 30, 'Google', 1000, 3, 0),
       (:'conn', 5, :ws, 'disconnected', 30, 'Google', 5000, 0, 0);

create function pg_temp.burnt() returns integer language sql as $$
  select private.calculate_provider_performance(
    (select id from public.bison_connections where name = 'pp-burnt'), '2026-05-01',
    '2026-05-02 00:05+00');
  select burnt_mailboxes from public.provider_performance_history
  where connection_id = (select id from public.bison_connections where name = 'pp-burnt')
    and day = '2026-05-01' and provider = 'Google';
$$;

select is(pg_temp.burnt(), 3, 'defaults: 1, 4 and 5 (0.4% exactly is not under 0.4%)');

update private.settings set value = '0.45' where key = 'burnt_below_reply_rate_pct';
select is(pg_temp.burnt(), 4, 'a 0.45% threshold adds mailbox 3');

update private.settings set value = '1000' where key = 'burnt_min_emails_sent';
select is(pg_temp.burnt(), 3, 'a minimum of 1000 sends drops mailbox 1');

update private.settings set value = '0' where key = 'burnt_min_emails_sent';
select is(pg_temp.burnt(), 5, 'with no minimum, mailbox 2 (0 replies in 199) is burnt too');

update private.settings set value = '"0.4"' where key = 'burnt_below_reply_rate_pct';
select throws_ok($$select pg_temp.burnt()$$, '55000',
  'setting burnt_below_reply_rate_pct must be a number from 0 to 100', 'a threshold as text is refused');

update private.settings set value = '0.4' where key = 'burnt_below_reply_rate_pct';
update private.settings set value = '12.5' where key = 'burnt_min_emails_sent';
select throws_ok($$select pg_temp.burnt()$$, '55000',
  'setting burnt_min_emails_sent must be a whole number of at least 0',
  'a fractional minimum is refused');

delete from private.settings where key = 'burnt_min_emails_sent';
select throws_ok($$select pg_temp.burnt()$$, '55000', null, 'a missing setting is refused');

select * from finish();
rollback;
