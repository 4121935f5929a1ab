-- public.mailbox_health_by_provider and public.workspace_mailbox_health against counts worked out
-- by hand: status groups (removed left out, unknown counted in totals only), burnt at the
-- thresholds of private.settings, capacity of connected mailboxes only, rates in percent.
begin;
select plan(6);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000b401', 'mailbox-health', 'https://mh.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values
  (901401, '00000000-0000-4000-8000-00000000b401', 1),
  (901402, '00000000-0000-4000-8000-00000000b401', 2),
  (901403, '00000000-0000-4000-8000-00000000b401', 3);
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  provider, reseller, daily_limit, emails_sent, unique_replies)
select '00000000-0000-4000-8000-00000000b401', v.id, v.workspace_id, v.status, v.provider,
       v.reseller, v.daily_limit, v.sent, v.unique_replies
from (values
  -- burnt: 3 unique replies in 1,000 sends is 0.3 %, under 0.4 %
  (1, 901401, 'connected', 'Google', 'Acme', 50, 1000, 3),
  -- 0.4 % exactly is not under it
  (2, 901401, 'connected', 'Google', 'Acme', 30, 1000, 4),
  -- too few sends to judge; disconnected
  (3, 901401, 'not connected', 'Google', 'Acme', 40, 100, 0),
  -- removed: left out altogether
  (4, 901401, 'removed', 'Google', 'Acme', 99, 1000, 0),
  (5, 901401, 'failed', 'Microsoft', null, 20, 500, 1),
  (6, 901401, null, 'Microsoft', null, 10, null, null),
  -- a negative limit gives no capacity
  (7, 901401, 'connected', 'Microsoft', null, -5, 0, 0),
  -- exactly the minimum sends, no reply: burnt
  (8, 901401, 'connected', null, null, 25, 200, 0),
  -- another workspace's, and one of no workspace: never counted here
  (9, 901402, 'connected', 'Google', 'Acme', 1000, 1000, 0),
  (10, null, 'connected', 'Google', 'Acme', 1000, 1000, 0)
) v(id, workspace_id, status, provider, reseller, daily_limit, sent, unique_replies);

select results_eq(
  $$select provider, reseller, mailboxes_total::int, connected::int, disconnected::int,
           unknown_status::int, burnt::int, daily_capacity::int, emails_sent::int,
           unique_replies::int, reply_rate_pct
    from public.mailbox_health_by_provider where workspace_id = 901401
    order by provider nulls last, reseller nulls last$$,
  $$values ('Google', 'Acme', 3, 2, 1, 0, 1, 80, 2100, 7, 0.33),
           ('Microsoft', null, 3, 1, 1, 1, 1, 0, 500, 1, 0.20),
           (null, null, 1, 1, 0, 0, 1, 25, 200, 0, 0.00)$$,
  'per provider and reseller: groups, burnt, capacity, lifetime counters and reply rate');

select results_eq(
  $$select mailboxes_total::int, connected::int, disconnected::int, unknown_status::int,
           burnt::int, daily_capacity::int, disconnected_pct
    from public.workspace_mailbox_health where workspace_id = 901401$$,
  $$values (7, 4, 2, 1, 3, 105, 28.57)$$,
  'the workspace''s totals, disconnected as a percentage of the mailboxes not removed');

select is((select connection_id from public.mailbox_health_by_provider
           where workspace_id = 901401 and provider = 'Google'),
  '00000000-0000-4000-8000-00000000b401'::uuid, 'provider rows name their connection');

update private.settings set value = '0.5' where key = 'burnt_below_reply_rate_pct';
select is((select burnt::int from public.workspace_mailbox_health where workspace_id = 901401), 4,
  'burnt follows the threshold in private.settings (0.4 % of sends is now under it)');

select results_eq(
  $$select mailboxes_total::int, connected::int, burnt::int, daily_capacity::int, disconnected_pct
    from public.workspace_mailbox_health where workspace_id = 901402$$,
  $$values (1, 1, 1, 1000, 0.00)$$,
  'another workspace counts only its own mailboxes');

select results_eq(
  $$select mailboxes_total::int, connected::int, disconnected::int, unknown_status::int,
           burnt::int, daily_capacity::int, disconnected_pct
    from public.workspace_mailbox_health where workspace_id = 901403$$,
  $$values (0, 0, 0, 0, 0, 0, null::numeric)$$,
  'a workspace without mailboxes has a row of zeros, its percentage null');

select * from finish();
rollback;
