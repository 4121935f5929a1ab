-- Who may read and write the webhook mirror: anon nothing; an authenticated member only the rows
-- of their own workspaces, never raw payloads, idempotency keys, tokens, rejections or settings,
-- and writes nothing; service_role reads every public table; nobody behind the API may call the
-- ingest function.
begin;
select plan(92);

-- Two workspaces of one connection, each with a campaign, lead, mailbox, reply and day rows.
insert into public.bison_connections (name, base_url, timezone)
values ('Privileges agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_SENT", "name": "Email Sent", "workspace_id": 1, "workspace_name": "One"},
 "data": {"scheduled_email": {"id": 1001, "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 1001, "type": "sent", "created_at": "2024-08-02T06:09:35.000000Z"},
          "lead": {"id": 11, "email": "lead11@prospect.example.test"},
          "campaign": {"id": 2, "name": "Campaign two"},
          "sender_email": {"id": 21, "email": "box21@sender.example.test", "status": "connected",
                           "emails_sent": 1, "updated_at": "2024-08-02T06:08:38.000000Z"}}}
$j$::jsonb) ->> 'workspace_id') as ws1 \gset
select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "LEAD_REPLIED", "name": "Lead Replied", "workspace_id": 1, "workspace_name": "One"},
 "data": {"reply": {"id": 31, "email_subject": "Re: hi", "text_body": "secret one",
                    "date_received": "2024-08-02T08:00:00.000000Z"},
          "campaign_event": {"id": 1002, "type": "reply", "created_at": "2024-08-02T08:00:00.000000Z"},
          "lead": {"id": 11, "email": "lead11@prospect.example.test"},
          "campaign": {"id": 2, "name": "Campaign two"},
          "sender_email": {"id": 21, "updated_at": "2024-08-02T08:00:00.000000Z"}}}
$j$::jsonb) ->> 'outcome' as reply1_outcome \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_SENT", "name": "Email Sent", "workspace_id": 2, "workspace_name": "Two"},
 "data": {"scheduled_email": {"id": 2001, "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 2001, "type": "sent", "created_at": "2024-08-02T06:09:35.000000Z"},
          "lead": {"id": 111, "email": "lead111@prospect.example.test"},
          "campaign": {"id": 102, "name": "Campaign one-oh-two"},
          "sender_email": {"id": 121, "email": "box121@sender.example.test", "status": "connected",
                           "emails_sent": 1, "updated_at": "2024-08-02T06:08:38.000000Z"}}}
$j$::jsonb) ->> 'workspace_id') as ws2 \gset
select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "LEAD_REPLIED", "name": "Lead Replied", "workspace_id": 2, "workspace_name": "Two"},
 "data": {"reply": {"id": 131, "email_subject": "Re: hi", "text_body": "secret two",
                    "date_received": "2024-08-02T08:00:00.000000Z"},
          "campaign_event": {"id": 2002, "type": "reply", "created_at": "2024-08-02T08:00:00.000000Z"},
          "lead": {"id": 111, "email": "lead111@prospect.example.test"},
          "campaign": {"id": 102, "name": "Campaign one-oh-two"},
          "sender_email": {"id": 121, "updated_at": "2024-08-02T08:00:00.000000Z"}}}
$j$::jsonb) ->> 'outcome' as reply2_outcome \gset
-- A delivery with a wrong token, so that private.webhook_rejections has a row.
select private.ingest_webhook_event(encode(sha256('wrong'::bytea), 'hex'), '{}'::jsonb)
  ->> 'outcome' as rejected_outcome \gset

insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('member@example.test'), :ws1),
       (tests.create_user('other@example.test'), :ws2);

-- The setup really put rows of both workspaces everywhere, so hidden rows are hidden by policy.
select ok(
  (select count(distinct workspace_id) from public.sender_emails) = 2
  and (select count(distinct workspace_id) from public.campaigns) = 2
  and (select count(distinct workspace_id) from public.leads) = 2
  and (select count(distinct workspace_id) from public.replies) = 2
  and (select count(distinct workspace_id) from public.workspace_daily_metrics) = 2
  and (select count(distinct workspace_id) from public.campaign_daily_metrics) = 2
  and (select count(distinct workspace_id) from private.webhook_events) = 2
  and (select count(*) from private.webhook_rejections) = 1
  and :'reply1_outcome' = 'processed' and :'reply2_outcome' = 'processed'
  and :'rejected_outcome' = 'unauthorized',
  'setup: both workspaces have rows in every table');

-- anon ---------------------------------------------------------------------------------------
select tests.authenticate_as_anon();
select throws_ok(format('select * from %s', t), '42501', null, 'anon cannot select ' || t)
from unnest(array[
  'public.bison_connections', 'public.workspaces', 'public.workspace_members',
  'public.sender_emails', 'public.campaigns', 'public.leads', 'public.replies',
  'public.workspace_daily_metrics', 'public.campaign_daily_metrics', 'public.webhook_health',
  'private.webhook_events', 'private.webhook_tokens', 'private.webhook_rejections',
  'private.settings']) as t;
select throws_ok(
  $$select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}}')$$,
  '42501', null, 'anon cannot execute private.ingest_webhook_event');

-- authenticated member of workspace 1 ----------------------------------------------------------
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('member@example.test'));

select results_eq('select name from public.bison_connections',
  array['Privileges agency'], 'a member sees only the connection of their workspaces');
select results_eq('select bison_workspace_id from public.workspaces',
  array[1::bigint], 'a member sees only their workspace');
select results_eq('select user_id from public.workspace_members',
  array[tests.user_id('member@example.test')], 'a member sees only their own membership');
select results_eq('select bison_sender_email_id from public.sender_emails',
  array[21::bigint], 'a member sees only their workspace''s mailboxes');
select results_eq('select bison_campaign_id from public.campaigns',
  array[2::bigint], 'a member sees only their workspace''s campaigns');
select results_eq('select bison_lead_id from public.leads',
  array[11::bigint], 'a member sees only their workspace''s leads');
select results_eq('select bison_reply_id from public.replies',
  array[31::bigint], 'a member sees only their workspace''s replies');
select results_eq('select workspace_id from public.workspace_daily_metrics',
  array[:ws1::bigint], 'a member sees only their workspace''s day rows');
select results_eq('select workspace_id from public.campaign_daily_metrics',
  array[:ws1::bigint], 'a member sees only their workspace''s campaign day rows');
select results_eq('select workspace_id from public.webhook_health',
  array[:ws1::bigint], 'a member sees only their workspace''s webhook health');
select results_eq(
  'select distinct workspace_id from private.webhook_events',
  array[:ws1::bigint], 'a member sees only their workspace''s event statistics columns');
select throws_ok('select payload from private.webhook_events', '42501', null,
  'authenticated cannot select private.webhook_events.payload');
select throws_ok('select idempotency_key from private.webhook_events', '42501', null,
  'authenticated cannot select private.webhook_events.idempotency_key');
select throws_ok('select * from private.webhook_tokens', '42501', null,
  'authenticated cannot select private.webhook_tokens');
select throws_ok('select * from private.webhook_rejections', '42501', null,
  'authenticated cannot select private.webhook_rejections');
select throws_ok('select * from private.settings', '42501', null,
  'authenticated cannot select private.settings');

-- The exact message proves a missing grant, not a row-level security rejection (also 42501).
-- (private.webhook_tokens is a view of the tokens that authenticate now.)
select throws_ok(format('insert into %s default values', t), '42501',
  'permission denied for ' || case when t = 'private.webhook_tokens' then 'view ' else 'table ' end
    || split_part(t, '.', 2), 'authenticated cannot insert into ' || t)
from unnest(array[
  'public.bison_connections', 'public.workspaces', 'public.workspace_members',
  'public.sender_emails', 'public.campaigns', 'public.leads', 'public.replies',
  'public.workspace_daily_metrics', 'public.campaign_daily_metrics',
  'private.webhook_events', 'private.webhook_tokens', 'private.webhook_rejections',
  'private.settings']) as t;
select throws_ok(format('update %s set %I = %I', t, c, c), '42501',
  'permission denied for ' || case when t = 'private.webhook_tokens' then 'view ' else 'table ' end
    || split_part(t, '.', 2), 'authenticated cannot update ' || t)
from (values
  ('public.bison_connections', 'name'), ('public.workspaces', 'name'),
  ('public.workspace_members', 'role'), ('public.sender_emails', 'email'),
  ('public.campaigns', 'name'), ('public.leads', 'email'), ('public.replies', 'subject'),
  ('public.workspace_daily_metrics', 'emails_sent'),
  ('public.campaign_daily_metrics', 'emails_sent'),
  ('private.webhook_events', 'status'),
  ('private.webhook_tokens', 'token_sha256'), ('private.webhook_rejections', 'deliveries'),
  ('private.settings', 'value')) as v(t, c);
select throws_ok(format('delete from %s', t), '42501',
  'permission denied for ' || case when t = 'private.webhook_tokens' then 'view ' else 'table ' end
    || split_part(t, '.', 2), 'authenticated cannot delete from ' || t)
from unnest(array[
  'public.bison_connections', 'public.workspaces', 'public.workspace_members',
  'public.sender_emails', 'public.campaigns', 'public.leads', 'public.replies',
  'public.workspace_daily_metrics', 'public.campaign_daily_metrics',
  'private.webhook_events', 'private.webhook_tokens', 'private.webhook_rejections',
  'private.settings']) as t;
-- webhook_health is not an updatable view, so a write fails with 55000 before any privilege
-- check; assert the grants themselves instead.
select ok(not has_table_privilege('authenticated', 'public.webhook_health', p),
  'authenticated has no ' || p || ' privilege on public.webhook_health')
from unnest(array['INSERT', 'UPDATE', 'DELETE']) as p;

select throws_ok(
  $$select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}}')$$,
  '42501', null, 'authenticated cannot execute private.ingest_webhook_event');

-- service_role ---------------------------------------------------------------------------------
select tests.clear_authentication();
select tests.authenticate_as_service_role();
-- webhook_health is granted to service_role; as a security invoker view it is readable only if
-- service_role may also read the columns of private.webhook_events it uses.
select lives_ok(format('select * from %s', t), 'service_role can select ' || t)
from unnest(array[
  'public.bison_connections', 'public.workspaces', 'public.workspace_members',
  'public.sender_emails', 'public.campaigns', 'public.leads', 'public.replies',
  'public.workspace_daily_metrics', 'public.campaign_daily_metrics',
  'public.webhook_health']) as t;
select results_eq('select bison_workspace_id from public.workspaces order by 1',
  array[1::bigint, 2::bigint], 'service_role sees every workspace (no RLS)');
-- The service may read raw deliveries and rejections, never change them, and never read tokens or
-- settings.
select lives_ok(format('select * from %s', t), 'service_role can select ' || t)
from unnest(array['private.webhook_events', 'private.webhook_rejections']) as t;
select throws_ok(format('select * from %s', t), '42501', null, 'service_role cannot select ' || t)
from unnest(array['private.webhook_tokens', 'private.settings']) as t;
select throws_ok($$update private.webhook_events set status = 'processed'$$, '42501',
  'permission denied for table webhook_events', 'service_role cannot update raw events');
select throws_ok('delete from private.webhook_events', '42501',
  'permission denied for table webhook_events', 'service_role cannot delete raw events');

select * from finish();
rollback;
