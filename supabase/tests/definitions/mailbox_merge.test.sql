-- One merge of mailbox snapshots (private.merge_sender_emails) for webhooks and the inventory
-- poll: a snapshot at least as new as the stored one wins field by field (equal counts too, for
-- both paths), an older one only fills unknown fields, daily_limit and workspace_id follow the
-- same rule, and provider and reseller are classified whichever path created the mailbox.
begin;
select plan(9);

insert into public.bison_connections (name, base_url) values ('merge', 'https://m.example.test')
returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'One'), (:'conn', 2, 'Two');
select id as ws1 from public.workspaces where connection_id = :'conn' and bison_workspace_id = 1 \gset
select id as ws2 from public.workspaces where connection_id = :'conn' and bison_workspace_id = 2 \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('merge-token'::bytea), 'hex'));

create function pg_temp.webhook(body text) returns text language sql as $$
  select private.ingest_webhook_event(encode(sha256('merge-token'::bytea), 'hex'), body::jsonb)
    ->> 'outcome';
$$;

select pg_temp.webhook('{"event": {"type": "EMAIL_SENT", "workspace_id": 1},
  "data": {"scheduled_email": {"id": 1, "sent_at": "2026-11-20T10:00:00Z"},
    "sender_email": {"id": 500, "email": "a@x.example.test", "status": "connected",
      "type": "google_workspace_oauth", "daily_limit": 30, "emails_sent": 10,
      "updated_at": "2026-11-20T10:00:00.000000Z"}}}');
select results_eq(
  $$select provider, daily_limit, emails_sent::int from public.sender_emails
    where bison_sender_email_id = 500$$,
  $$values ('Google'::text, 30, 10)$$,
  'a mailbox a webhook created is classified (it used to wait for the next poll)');

-- The same instant again, from the other path: the inventory's values are applied (>=).
select private.merge_sender_emails(:'conn', array[row(500, :ws1, null, null, 'connected', null, 40,
  null, 11, null, null, null, null, null, null, null, null, '2026-11-20T10:00:00Z', null, null,
  null, null)::private.mailbox_snapshot]);
select results_eq(
  $$select daily_limit, emails_sent::int from public.sender_emails where bison_sender_email_id = 500$$,
  $$values (40, 11)$$, 'a snapshot as new as the stored one wins');

-- An older snapshot changes nothing it knows, whichever path: not the daily limit, not the
-- workspace.
select pg_temp.webhook('{"event": {"type": "EMAIL_SENT", "workspace_id": 2},
  "data": {"scheduled_email": {"id": 2, "sent_at": "2026-11-20T09:00:00Z"},
    "sender_email": {"id": 500, "daily_limit": 5, "emails_sent": 3, "name": "Older",
      "updated_at": "2026-11-20T09:00:00.000000Z"}}}');
select results_eq(
  $$select daily_limit, emails_sent::int, workspace_id, name from public.sender_emails
    where bison_sender_email_id = 500$$,
  format($$values (40, 11, %s::bigint, 'Older'::text)$$, :ws1),
  'an older snapshot keeps the daily limit, counters and workspace; it only fills what is unknown');

-- A newer one moves the mailbox to its new workspace.
select pg_temp.webhook('{"event": {"type": "EMAIL_SENT", "workspace_id": 2},
  "data": {"scheduled_email": {"id": 3, "sent_at": "2026-11-20T11:00:00Z"},
    "sender_email": {"id": 500, "daily_limit": 50, "emails_sent": 12,
      "updated_at": "2026-11-20T11:00:00.000000Z"}}}');
select results_eq(
  $$select daily_limit, emails_sent::int, workspace_id from public.sender_emails
    where bison_sender_email_id = 500$$,
  format($$values (50, 12, %s::bigint)$$, :ws2), 'a newer snapshot wins, workspace included');

-- Account events: the latest status change wins, whatever order they arrive in.
select pg_temp.webhook('{"event": {"type": "EMAIL_ACCOUNT_DISCONNECTED", "workspace_id": 2},
  "data": {"sender_email": {"id": 500, "status": "disconnected",
    "updated_at": "2026-11-20T13:00:00.000000Z"}}}');
select pg_temp.webhook('{"event": {"type": "EMAIL_ACCOUNT_RECONNECTED", "workspace_id": 2},
  "data": {"sender_email": {"id": 500, "status": "connected",
    "updated_at": "2026-11-20T12:00:00.000000Z"}}}');
select is((select status from public.sender_emails where bison_sender_email_id = 500),
  'disconnected', 'a reconnection older than the disconnection does not win');

-- A removed mailbox stays removed until an inventory taken since lists it.
select pg_temp.webhook('{"event": {"type": "EMAIL_ACCOUNT_REMOVED", "workspace_id": 2},
  "data": {"sender_email": {"id": 500, "updated_at": "2026-11-20T14:00:00.000000Z"}}}');
select results_eq(
  $$select status, removed_by from public.sender_emails where bison_sender_email_id = 500$$,
  $$values ('removed'::text, 'event'::text)$$, 'an account removal removes at once');
select private.merge_sender_emails(:'conn', array[row(500, :ws2, null, null, 'connected', null, null,
  null, null, null, null, null, null, null, null, null, null, '2026-11-20T15:00:00Z', null, null,
  null, null)::private.mailbox_snapshot]);
select is((select status from public.sender_emails where bison_sender_email_id = 500), 'removed',
  'a newer webhook snapshot does not bring it back');
select private.merge_sender_emails(:'conn', array[row(500, :ws2, null, null, 'connected', null, null,
  null, null, null, null, null, null, null, null, null, null, '2026-11-20T15:00:00Z', '[]', null,
  null, '2026-11-20T13:00:00Z')::private.mailbox_snapshot]);
select is((select status from public.sender_emails where bison_sender_email_id = 500), 'removed',
  'nor does an inventory that started before the removal');
select private.merge_sender_emails(:'conn', array[row(500, :ws2, null, null, 'connected', null, null,
  null, null, null, null, null, null, null, null, null, null, '2026-11-20T16:00:00Z', '[]', null,
  null, '2026-11-20T16:00:00Z')::private.mailbox_snapshot]);
select results_eq(
  $$select status, removed_at, removed_by from public.sender_emails
    where bison_sender_email_id = 500$$,
  $$values ('connected'::text, null::timestamptz, null::text)$$,
  'an inventory taken after the removal that lists it brings it back');

select * from finish();
rollback;
