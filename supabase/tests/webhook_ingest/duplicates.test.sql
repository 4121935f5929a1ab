-- Bison delivers at least once: a retry, the same event with its type in another case, and the
-- copy a parent-workspace webhook sends for a child are one event, stored and counted once. A
-- different event with the same shape is not a duplicate.
begin;
select plan(16);

insert into public.bison_connections (name, base_url, timezone)
values ('Duplicates agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

-- The vendor's documented EMAIL_SENT sample.
create temporary table sent_body (body jsonb) on commit drop;
insert into sent_body values ($j$
{"event": {"type": "EMAIL_SENT", "name": "Email Sent", "instance_url": "https://send.example.test",
           "workspace_id": 1, "workspace_name": "Cody's Team"},
 "data": {"scheduled_email": {"id": 4, "lead_id": 1, "sequence_step_id": 2, "status": "sent",
                              "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 6, "type": "sent", "created_at": "2024-08-02T06:09:35.000000Z"},
          "lead": {"id": 1, "email": "cody@emailguard.io", "first_name": "Cody"},
          "campaign": {"id": 2, "name": "test"},
          "sender_email": {"id": 3, "email": "cody@emailguardalpha.com", "status": "connected",
                           "emails_sent": 1, "updated_at": "2024-08-02T06:08:38.000000Z"}}}
$j$);

select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), (select body from sent_body))
    ->> 'outcome',
  'processed', 'the first delivery is processed');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), (select body from sent_body)),
  '{"outcome": "duplicate"}'::jsonb, 'the same body again is a duplicate');
select is((select count(*) from private.webhook_events), 1::bigint, 'one raw event is stored');
select results_eq('select day, emails_sent from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 1)$$, 'the email is counted once per workspace');
select results_eq('select day, emails_sent from public.campaign_daily_metrics',
  $$values ('2024-08-02'::date, 1)$$, 'and once per campaign');

-- The same event with a lower-case (and padded) type.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    jsonb_set((select body from sent_body), '{event,type}', '" email_sent "'))
    ->> 'outcome',
  'duplicate', 'email_sent with the same ids is the same event as EMAIL_SENT');
select is((select count(*) from private.webhook_events), 1::bigint,
  'still one raw event after the lower-case copy');
select is((select emails_sent from public.workspace_daily_metrics), 1,
  'still counted once after the lower-case copy');

-- A LEAD_REPLIED delivered by the child workspace's webhook and, with the same body, by its parent
-- workspace's webhook; then once more by a webhook whose envelope labels it differently.
create temporary table reply_body (body jsonb) on commit drop;
insert into reply_body values ($j$
{"event": {"type": "LEAD_REPLIED", "name": "Lead Replied", "instance_url": "https://send.example.test",
           "workspace_id": 1, "workspace_name": "Cody's Team"},
 "data": {"reply": {"id": 77, "uuid": "9b7c1d70-0000-4000-8000-000000000077",
                    "email_subject": "Re: test subject", "text_body": "Tell me more",
                    "date_received": "2024-08-02T09:00:00.000000Z",
                    "from_email_address": "cody@emailguard.io"},
          "campaign_event": {"id": 8, "type": "reply", "created_at": "2024-08-02T09:00:01.000000Z"},
          "lead": {"id": 1, "email": "cody@emailguard.io"},
          "campaign": {"id": 2, "name": "test"},
          "scheduled_email": {"id": 4},
          "sender_email": {"id": 3, "updated_at": "2024-08-02T09:00:00.000000Z"}}}
$j$);
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), (select body from reply_body))
    ->> 'outcome',
  'processed', 'the child workspace webhook''s reply is processed');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), (select body from reply_body))
    ->> 'outcome',
  'duplicate', 'the parent workspace webhook''s identical copy is a duplicate');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    (select body || jsonb_build_object('event', ((body -> 'event') - 'instance_url')
                     || '{"name": "Contact Replied", "workspace_name": "  Cody''s Team  "}')
     from reply_body))
    ->> 'outcome',
  'duplicate', 'a copy whose envelope differs only in labels is a duplicate');
select is((select count(*) from public.replies), 1::bigint, 'the reply is stored once');
select is((select replies from public.workspace_daily_metrics), 1,
  'the reply is counted once');

-- A different email (new campaign_event and scheduled_email ids) is a new event.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    jsonb_set(jsonb_set((select body from sent_body), '{data,campaign_event,id}', '7'),
              '{data,scheduled_email,id}', '5'))
    ->> 'outcome',
  'processed', 'another email with new ids is not a duplicate');
select is((select count(*) from private.webhook_events), 3::bigint,
  'three distinct events are stored in all');
select results_eq(
  'select emails_sent, replies from public.workspace_daily_metrics',
  $$values (2, 1)$$, 'two emails and one reply are counted');

select * from finish();
rollback;
