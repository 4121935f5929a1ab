-- A lead's status only moves forward (contacted -> replied -> interested; bounced and unsubscribed
-- are terminal) whatever order the events arrive in, its first_replied_at and interested_at are
-- set once, and its email is stored lower-case.
begin;
select plan(11);

insert into public.bison_connections (name, base_url, timezone)
values ('Lead status agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

-- A reply-type event (LEAD_REPLIED, LEAD_INTERESTED, EMAIL_BOUNCED) about one reply of a lead.
create function pg_temp.reply_event(type text, reply_id int, lead_id int, lead_email text,
                                    received text) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object(
    'event', jsonb_build_object('type', type, 'name', initcap(replace(type, '_', ' ')),
                                'workspace_id', 1, 'workspace_name', 'Client'),
    'data', jsonb_build_object(
      'reply', jsonb_build_object('id', reply_id, 'email_subject', 'Re: hello',
                                  'interested', type = 'LEAD_INTERESTED',
                                  'automated_reply', false, 'date_received', received,
                                  'from_email_address', lead_email),
      'campaign_event', jsonb_build_object('id', 1000 + reply_id, 'created_at', received,
        'type', case type when 'EMAIL_BOUNCED' then 'bounce' else 'reply' end),
      'lead', jsonb_build_object('id', lead_id, 'email', lead_email, 'first_name', 'Cody'),
      'campaign', jsonb_build_object('id', 2, 'name', 'Campaign two'),
      'scheduled_email', jsonb_build_object('id', 500 + lead_id),
      'sender_email', jsonb_build_object('id', 3, 'updated_at', received)));
$$;

-- Lead 7: LEAD_INTERESTED arrives first, a LEAD_REPLIED (a later reply) after it.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.reply_event('LEAD_INTERESTED', 41, 7, ' Cody.Smith@Prospect.Example.TEST ',
                        '2024-08-02T10:00:00.000000Z')) ->> 'outcome',
  'processed', 'LEAD_INTERESTED is processed');
select results_eq(
  'select status, first_replied_at, interested_at, email from public.leads where bison_lead_id = 7',
  $$values ('interested', '2024-08-02 10:00:00+00'::timestamptz,
            '2024-08-02 10:00:00+00'::timestamptz, 'cody.smith@prospect.example.test')$$,
  'an interested event alone makes the lead interested, replied at the reply''s time, with its '
  'email trimmed and lower-cased');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.reply_event('LEAD_REPLIED', 42, 7, 'Cody.Smith@Prospect.Example.TEST',
                        '2024-08-03T09:00:00.000000Z')) ->> 'outcome',
  'processed', 'the later LEAD_REPLIED is processed');
select results_eq(
  'select status, first_replied_at, interested_at, email from public.leads where bison_lead_id = 7',
  $$values ('interested', '2024-08-02 10:00:00+00'::timestamptz,
            '2024-08-02 10:00:00+00'::timestamptz, 'cody.smith@prospect.example.test')$$,
  'the later reply neither moves the status back nor moves first_replied_at or interested_at');
select results_eq(
  'select bison_reply_id, interested from public.replies order by bison_reply_id',
  $$values (41::bigint, true), (42::bigint, false)$$,
  'both replies are stored, only the first one interested');

-- Lead 8: replied, then bounced, then (late) interested.
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.reply_event('LEAD_REPLIED', 43, 8, 'Lead8@Prospect.example.test',
                        '2024-08-02T10:00:00.000000Z')) ->> 'outcome',
  'processed', 'LEAD_REPLIED for lead 8 is processed');
select results_eq(
  'select status, first_replied_at, email from public.leads where bison_lead_id = 8',
  $$values ('replied', '2024-08-02 10:00:00+00'::timestamptz, 'lead8@prospect.example.test')$$,
  'lead 8 is replied');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.reply_event('EMAIL_BOUNCED', 44, 8, 'lead8@prospect.example.test',
                        '2024-08-02T11:00:00.000000Z')) ->> 'outcome',
  'processed', 'EMAIL_BOUNCED for lead 8 is processed');
select results_eq(
  'select status, bounced_at, first_replied_at from public.leads where bison_lead_id = 8',
  $$values ('bounced', '2024-08-02 11:00:00+00'::timestamptz,
            '2024-08-02 10:00:00+00'::timestamptz)$$,
  'replied then bounced is bounced, at the bounce''s time');
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
    pg_temp.reply_event('LEAD_INTERESTED', 45, 8, 'lead8@prospect.example.test',
                        '2024-08-02T12:00:00.000000Z')) ->> 'outcome',
  'processed', 'a later LEAD_INTERESTED for lead 8 is processed');
select results_eq(
  'select status, bounced_at from public.leads where bison_lead_id = 8',
  $$values ('bounced', '2024-08-02 11:00:00+00'::timestamptz)$$,
  'bounced is terminal: a later interested event keeps the lead bounced');

select * from finish();
rollback;
