-- Each change of a workspace's day row is broadcast privately on workspace:<id>:metrics with the
-- row's counters (coalesced: coalesced_broadcasts.test.sql); only members of that workspace can
-- receive it (realtime.messages RLS).
begin;
select plan(10);

insert into public.bison_connections (name, base_url, timezone)
values ('Broadcast agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_SENT", "name": "Email Sent", "workspace_id": 1, "workspace_name": "Client"},
 "data": {"scheduled_email": {"id": 4, "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 6, "type": "sent", "created_at": "2024-08-02T06:09:35.000000Z"},
          "lead": {"id": 1}, "campaign": {"id": 2}}}
$j$::jsonb) as first_result \gset
select (:'first_result'::jsonb ->> 'workspace_id') as ws, 'workspace:' || (:'first_result'::jsonb ->> 'workspace_id') || ':metrics' as topic \gset

select is(:'first_result'::jsonb ->> 'outcome', 'processed', 'the email is processed');
select results_eq(
  format($$select topic, event, extension, private, payload - 'id' - 'updated_at'
           from realtime.messages where topic = %L$$, :'topic'),
  format($$values (%L, 'metrics_updated', 'broadcast', true, %L::jsonb)$$, :'topic',
    jsonb_build_object('workspace_id', :ws::bigint, 'day', '2024-08-02', 'emails_sent', 1,
      'first_contacts', 0, 'opens', 0, 'replies', 0, 'interested', 0, 'bounces', 0,
      'unsubscribes', 0, 'manual_emails_sent', 0, 'untracked_replies', 0, 'source', 'events',
      'bison_stats_fetched_at', null)),
  'the new day row is broadcast privately on workspace:<id>:metrics with its counters');

-- Within the broadcast interval of the first (however slow this machine is): pending.
update private.broadcast_topics set next_send_at = clock_timestamp() + interval '1 hour';
select is(
  private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), $j$
{"event": {"type": "EMAIL_OPENED", "name": "Email Opened", "workspace_id": 1, "workspace_name": "Client"},
 "data": {"scheduled_email": {"id": 4, "sent_at": "2024-08-02T06:08:38.000000Z"},
          "campaign_event": {"id": 7, "type": "open", "created_at": "2024-08-02T09:00:00.000000Z"},
          "lead": {"id": 1}, "campaign": {"id": 2}}}
$j$::jsonb) ->> 'outcome', 'processed', 'the open is processed');
-- Sent by the next flush once the interval has passed.
update private.broadcast_topics set next_send_at = clock_timestamp() - interval '1 second';
select private.flush_coalesced_broadcasts();
select results_eq(
  format($$select payload ->> 'emails_sent', payload ->> 'opens' from realtime.messages
           where topic = %L order by payload ->> 'opens'$$, :'topic'),
  $$values ('1', '0'), ('1', '1')$$,
  'the update of the same day row is broadcast too, with both counters');
select is(
  (select count(*) from realtime.messages where topic <> :'topic'), 0::bigint,
  'nothing is broadcast on any other topic');

-- Who may receive it.
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('member@example.test'), :ws);
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 2, 'Other client') returning id as other_ws \gset
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('outsider@example.test'), :other_ws);

select tests.authenticate_as(tests.user_id('member@example.test'));
select is((select count(*) from realtime.messages where topic = :'topic'), 2::bigint,
  'a member of the workspace sees both broadcasts');

select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('outsider@example.test'));
select is((select count(*) from realtime.messages where topic = :'topic'), 0::bigint,
  'a member of another workspace sees none');
select is((select count(*) from realtime.messages), 0::bigint,
  'and nothing at all, whatever the topic');

-- anon holds the hosted grant on realtime.messages but no policy lets it read a row.
select tests.clear_authentication();
select tests.authenticate_as_anon();
select lives_ok('select count(*) from realtime.messages',
  'anon may query realtime.messages (hosted grants select)');
select is((select count(*) from realtime.messages where topic = :'topic'), 0::bigint,
  'anon sees no broadcast');

select * from finish();
rollback;
