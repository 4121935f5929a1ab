-- Payload drift is tolerated: counters sent as strings are stored as numbers, a missing
-- event.instance_url is fine, a MANUAL_EMAIL_SENT without lead or campaign counts only for the
-- workspace, a tag event is stored without touching metrics, an unknown type is stored and reported
-- as such, and an unknown workspace is created and flagged for review.
begin;
select plan(17);

insert into public.bison_connections (name, base_url, timezone)
values ('Drift agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));
-- Workspace 1 is known (set up by an admin); workspace 777 is not.
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Known client');

-- EMAIL_SENT without event.instance_url, every mailbox counter a string.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_SENT", "name": "Email Sent", "workspace_id": 1, "workspace_name": "Known client"},
 "data": {"scheduled_email": {"id": 4, "sent_at": "2024-08-02T06:08:38.000000Z", "opens": "0"},
          "campaign_event": {"id": 6, "type": "sent", "created_at": "2024-08-02T06:09:35.000000Z"},
          "lead": {"id": 1, "email": "lead1@prospect.example.test", "emails_sent": "1"},
          "campaign": {"id": 2, "name": "test"},
          "sender_email": {"id": 3, "name": "Cody", "email": "Cody@EmailGuardAlpha.com",
                           "status": "connected", "type": "google_workspace_oauth",
                           "daily_limit": "30", "emails_sent": "120", "replied": "3",
                           "opened": "0", "unsubscribed": "1", "bounced": "2",
                           "unique_replies": "3", "unique_opens": "0",
                           "total_leads_contacted": "100", "interested": " 1 ",
                           "updated_at": "2024-08-02T06:08:38.000000Z"}}}
$j$::jsonb) ->> 'outcome',
  'processed', 'an event without event.instance_url and with string counters is processed');
select results_eq($$
  select daily_limit, emails_sent, replied, opened, unsubscribed, bounced, unique_replies,
         unique_opens, total_leads_contacted, interested, email, status, connection_type,
         bison_updated_at
  from public.sender_emails where bison_sender_email_id = 3$$,
  $$values (30, 120::bigint, 3::bigint, 0::bigint, 1::bigint, 2::bigint, 3::bigint, 0::bigint,
            100::bigint, 1::bigint, 'cody@emailguardalpha.com', 'connected',
            'google_workspace_oauth', '2024-08-02 06:08:38+00'::timestamptz)$$,
  'string counters are stored as numbers');
select results_eq(
  'select day, emails_sent, manual_emails_sent from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 1, 0)$$, 'the email is counted');

-- MANUAL_EMAIL_SENT from the inbox: no lead, no campaign, no scheduled email.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "MANUAL_EMAIL_SENT", "name": "Manual Email Sent", "instance_url": "https://send.example.test",
           "workspace_id": 1, "workspace_name": "Known client"},
 "data": {"reply": {"id": 900, "type": "outgoing", "email_subject": "Following up",
                    "date_received": "2024-08-02T15:00:00.000000Z"},
          "lead": null, "campaign": null, "scheduled_email": null,
          "sender_email": {"id": 3, "updated_at": "2024-08-02T15:00:00.000000Z"}}}
$j$::jsonb) ->> 'outcome',
  'processed', 'a MANUAL_EMAIL_SENT without lead and campaign is processed');
select results_eq(
  'select day, emails_sent, manual_emails_sent from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 1, 1)$$, 'it counts one manual email for the workspace');
select results_eq(
  'select c.bison_campaign_id, m.emails_sent, m.manual_emails_sent
   from public.campaign_daily_metrics m join public.campaigns c on c.id = m.campaign_id',
  $$values (2::bigint, 1, 0)$$, 'and creates no campaign nor campaign day row for it');

-- TAG_ATTACHED (flat data) is stored as processed and derives nothing.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "TAG_ATTACHED", "name": "Tag Attached", "workspace_id": 1, "workspace_name": "Known client"},
 "data": {"tag_id": 5, "tag_name": "Hot", "taggable_id": 1, "taggable_type": "lead"}}
$j$::jsonb) ->> 'outcome',
  'processed', 'TAG_ATTACHED is processed');
select results_eq(
  $$select event_type, status from private.webhook_events where event_type = 'tag_attached'$$,
  $$values ('tag_attached', 'processed')$$, 'it is stored with status processed');

-- An unknown type is accepted, stored and reported, and derives nothing.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "SOMETHING_NEW", "name": "Something New", "workspace_id": 1, "workspace_name": "Known client"},
 "data": {"campaign": {"id": 99, "name": "never seen"}, "lead": {"id": 99}}}
$j$::jsonb) ->> 'outcome',
  'unknown_type', 'an unknown type has outcome unknown_type');
select results_eq(
  $$select event_type, status, error from private.webhook_events
    where event_type = 'something_new'$$,
  $$values ('something_new', 'unknown_type', null::text)$$,
  'it is stored with status unknown_type');

select results_eq(
  'select day, emails_sent, first_contacts, opens, replies, interested, bounces, unsubscribes,
          manual_emails_sent, untracked_replies from public.workspace_daily_metrics',
  $$values ('2024-08-02'::date, 1, 0, 0, 0, 0, 0, 0, 1, 0)$$,
  'neither the tag event nor the unknown type touched the day rows');
select results_eq('select bison_campaign_id from public.campaigns', array[2::bigint],
  'no campaign was created from the tag or unknown event');
select results_eq('select bison_lead_id from public.leads', array[1::bigint],
  'no lead was created from the tag or unknown event');

-- An event of a workspace nobody set up creates it, flagged for review.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_OPENED", "name": "Email Opened", "workspace_id": 777, "workspace_name": "  Surprise client "},
 "data": {"scheduled_email": {"id": 40, "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 41, "type": "open", "created_at": "2024-08-02T07:00:00.000000Z"},
          "lead": {"id": 42}, "campaign": {"id": 43, "name": "other"}}}
$j$::jsonb) ->> 'outcome',
  'processed', 'an event of an unknown workspace is processed');
select results_eq(
  'select bison_workspace_id, name, needs_review, timezone from public.workspaces
   order by bison_workspace_id',
  $$values (1::bigint, 'Known client', false, null::text),
           (777::bigint, 'Surprise client', true, null::text)$$,
  'the unknown workspace is created with a trimmed name and needs_review; the known one is not '
  'flagged');
select results_eq(
  $$select w.bison_workspace_id, m.day, m.opens from public.workspace_daily_metrics m
    join public.workspaces w on w.id = m.workspace_id where w.bison_workspace_id = 777$$,
  $$values (777::bigint, '2024-08-02'::date, 1)$$,
  'its event is counted in the new workspace');
select is((select count(*) from private.webhook_events), 5::bigint, 'all five events are stored');

select * from finish();
rollback;
