-- One definition of a burnt mailbox (private.is_burnt_mailbox) whose thresholds live only in
-- private.settings (private.burnt_rule), used alike by provider performance and insight facts.
begin;
select plan(9);

select results_eq($$select * from private.burnt_rule()$$, $$values (200::bigint, 0.4::numeric)$$,
  'the thresholds: 200 sends, under 0.4 % unique replies');
select results_eq(
  $$select sent, replies, private.is_burnt_mailbox(sent, replies, 200, 0.4)
    from (values (200::bigint, 0::bigint), (199, 0), (1000, 3), (1000, 4), (0, 0),
                 (500, null)) v(sent, replies)$$,
  $$values (200::bigint, 0::bigint, true), (199, 0, false), (1000, 3, true), (1000, 4, false),
           (0, 0, false), (500, null, true)$$,
  'burnt: at least the minimum sent and under the rate; 0.4 % exactly is not under it');
select is(private.is_burnt_mailbox(0, 0, 0, 0.4), false, 'nothing sent is never burnt');

update private.settings set value = '"0.4"' where key = 'burnt_below_reply_rate_pct';
select throws_ok($$select * from private.burnt_rule()$$, '55000',
  'setting burnt_below_reply_rate_pct must be a number from 0 to 100', 'a rate as text');
update private.settings set value = '101' where key = 'burnt_below_reply_rate_pct';
select throws_ok($$select * from private.burnt_rule()$$, '55000', null, 'a rate above 100 %');
update private.settings set value = '0.4' where key = 'burnt_below_reply_rate_pct';
update private.settings set value = '-1' where key = 'burnt_min_emails_sent';
select throws_ok($$select * from private.burnt_rule()$$, '55000',
  'setting burnt_min_emails_sent must be a whole number of at least 0', 'a negative minimum');
update private.settings set value = '200' where key = 'burnt_min_emails_sent';

-- The insight facts and provider performance agree, and follow the setting.
insert into public.bison_connections (name, base_url) values ('burnt', 'https://b.example.test')
returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Burnt') returning id as ws \gset
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  provider, emails_sent, unique_replies)
values (:'conn', 1, :ws, 'connected', 'Google', 1000, 3),
       (:'conn', 2, :ws, 'connected', 'Google', 1000, 6);
select private.calculate_provider_performance(:'conn', current_date - 1, now());
select is(
  (select burnt_mailboxes from public.provider_performance_history
   where connection_id = :'conn' and day = current_date - 1),
  (select (numbers ->> 'burnt')::int from public.workspace_insight_facts(:ws)
   where fact_id = 'mailbox_health'),
  'provider performance and insight facts count the same burnt mailboxes');
update private.settings set value = '0.7' where key = 'burnt_below_reply_rate_pct';
select is(
  (select (numbers ->> 'burnt')::int from public.workspace_insight_facts(:ws)
   where fact_id = 'mailbox_health'), 2, 'the insight facts follow the setting');
select is(
  (select numbers -> 'burnt_below_reply_rate_pct' from public.workspace_insight_facts(:ws)
   where fact_id = 'mailbox_health'), '0.7'::jsonb, 'and say which threshold they used');

select * from finish();
rollback;
