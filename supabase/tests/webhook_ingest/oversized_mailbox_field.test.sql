-- Mailbox fields in a webhook are informational: a value that does not fit its column (here a
-- daily_limit beyond integer range) must become null, as unusable counters do, rather than fail
-- the whole event. Otherwise the email is never counted, and reprocessing the same payload fails
-- again forever.
begin;
select plan(3);

insert into public.bison_connections (name, base_url, timezone)
values ('Oversized agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_SENT", "name": "Email Sent", "workspace_id": 1, "workspace_name": "Client"},
 "data": {"scheduled_email": {"id": 4, "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 6, "type": "sent", "created_at": "2024-08-02T06:09:35.000000Z"},
          "lead": {"id": 1}, "campaign": {"id": 2, "name": "test"},
          "sender_email": {"id": 3, "status": "connected", "daily_limit": "3000000000",
                           "emails_sent": "120", "updated_at": "2024-08-02T06:08:38.000000Z"}}}
$j$::jsonb) ->> 'outcome',
  'processed', 'an out-of-range daily_limit does not fail the event');
select results_eq('select day, emails_sent from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 1)$$, 'the email is counted');
select results_eq(
  'select bison_sender_email_id, daily_limit, emails_sent from public.sender_emails',
  $$values (3::bigint, null::integer, 120::bigint)$$,
  'the mailbox is stored with the unusable daily_limit as null');

select * from finish();
rollback;
