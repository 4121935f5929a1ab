-- A mailbox's counters and snapshot fields move only forward in Bison time (sender_email.updated_at):
-- an older snapshot arriving late changes nothing. Account events set disconnected / connected with
-- the time they happened, and only when they are the latest status change.
begin;
select plan(16);

insert into public.bison_connections (name, base_url, timezone)
values ('Mailbox agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

-- An event carrying a snapshot of mailbox 3 as of updated_at. EMAIL_SENT events get distinct
-- campaign_event ids from event_id; account events are keyed by mailbox id + updated_at.
create function pg_temp.mailbox_event(type text, event_id int, status text, emails_sent int,
                                      daily_limit int, updated_at text) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object(
    'event', jsonb_build_object('type', type, 'name', initcap(replace(type, '_', ' ')),
                                'workspace_id', 1, 'workspace_name', 'Client'),
    'data', case when type = 'EMAIL_SENT' then jsonb_build_object(
                   'scheduled_email', jsonb_build_object('id', event_id, 'sent_at', updated_at),
                   'campaign_event', jsonb_build_object('id', event_id, 'type', 'sent',
                                                        'created_at', updated_at),
                   'lead', jsonb_build_object('id', event_id),
                   'campaign', jsonb_build_object('id', 2))
                 else '{}'::jsonb end
            || jsonb_build_object('sender_email', jsonb_build_object(
                 'id', 3, 'email', 'box3@sender.example.test', 'status', status,
                 'type', 'microsoft_oauth', 'daily_limit', daily_limit,
                 'emails_sent', emails_sent, 'updated_at', updated_at)));
$$;

select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.mailbox_event('EMAIL_SENT', 1, 'connected', 50, 30, '2024-08-02T12:00:00.000000Z'))
    ->> 'outcome', 'processed', 'the 12:00 snapshot is processed');
select results_eq(
  'select status, emails_sent, daily_limit, bison_updated_at from public.sender_emails',
  $$values ('connected', 50::bigint, 30, '2024-08-02 12:00:00+00'::timestamptz)$$,
  'the first snapshot is stored');

select ctid as first_version from public.sender_emails \gset
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.mailbox_event('EMAIL_SENT', 2, 'disconnected', 40, 99, '2024-08-02T11:00:00.000000Z'))
    ->> 'outcome', 'processed', 'the late 11:00 snapshot is processed');
select results_eq(
  'select status, emails_sent, daily_limit, bison_updated_at from public.sender_emails',
  $$values ('connected', 50::bigint, 30, '2024-08-02 12:00:00+00'::timestamptz)$$,
  'an older snapshot overwrites neither counters nor status nor daily_limit');
select is((select ctid from public.sender_emails), :'first_version'::tid,
  'an older snapshot does not even write a new row version');

-- A reply carrying the same, already stored snapshot still links to the mailbox it came to.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "LEAD_REPLIED", "workspace_id": 1, "workspace_name": "Client"},
 "data": {"reply": {"id": 77, "date_received": "2024-08-02T12:10:00.000000Z", "text_body": "hi"},
          "lead": {"id": 5}, "campaign": {"id": 2},
          "sender_email": {"id": 3, "email": "box3@sender.example.test", "status": "connected",
                           "type": "microsoft_oauth", "daily_limit": 30, "emails_sent": 50,
                           "updated_at": "2024-08-02T12:00:00.000000Z"}}}
$j$::jsonb) ->> 'outcome', 'processed', 'a reply with an unchanged mailbox snapshot is processed');
select is(
  (select r.sender_email_id from public.replies r where r.bison_reply_id = 77),
  (select s.id from public.sender_emails s where s.bison_sender_email_id = 3),
  'the reply is linked to its mailbox even though the mailbox row was not written');

select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.mailbox_event('EMAIL_SENT', 3, 'connected', 55, 35, '2024-08-02T12:30:00.000000Z'))
    ->> 'outcome', 'processed', 'the 12:30 snapshot is processed');
select results_eq(
  'select status, emails_sent, daily_limit, bison_updated_at from public.sender_emails',
  $$values ('connected', 55::bigint, 35, '2024-08-02 12:30:00+00'::timestamptz)$$,
  'a newer snapshot is applied');

select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.mailbox_event('EMAIL_ACCOUNT_DISCONNECTED', 0, 'disconnected', 56, 35,
                          '2024-08-02T13:00:00.000000Z'))
    ->> 'outcome', 'processed', 'EMAIL_ACCOUNT_DISCONNECTED is processed');
select results_eq(
  'select status, disconnected_at, connected_at from public.sender_emails',
  $$values ('disconnected', '2024-08-02 13:00:00+00'::timestamptz, null::timestamptz)$$,
  'the mailbox is disconnected since 13:00');

select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.mailbox_event('EMAIL_ACCOUNT_RECONNECTED', 0, 'connected', 56, 35,
                          '2024-08-02T14:00:00.000000Z'))
    ->> 'outcome', 'processed', 'EMAIL_ACCOUNT_RECONNECTED is processed');
select results_eq(
  'select status, connected_at, disconnected_at from public.sender_emails',
  $$values ('connected', '2024-08-02 14:00:00+00'::timestamptz,
            '2024-08-02 13:00:00+00'::timestamptz)$$,
  'the later reconnect makes it connected again and keeps when it disconnected');

-- A disconnect from 13:30 delivered after the 14:00 reconnect is stale.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.mailbox_event('EMAIL_ACCOUNT_DISCONNECTED', 0, 'disconnected', 56, 35,
                          '2024-08-02T13:30:00.000000Z'))
    ->> 'outcome', 'processed', 'the late 13:30 disconnect is processed');
select results_eq(
  'select status, connected_at, disconnected_at, bison_updated_at from public.sender_emails',
  $$values ('connected', '2024-08-02 14:00:00+00'::timestamptz,
            '2024-08-02 13:30:00+00'::timestamptz, '2024-08-02 14:00:00+00'::timestamptz)$$,
  'a stale disconnect does not override the later reconnect');
select is((select count(*) from public.sender_emails), 1::bigint, 'it is all one mailbox row');

select * from finish();
rollback;
