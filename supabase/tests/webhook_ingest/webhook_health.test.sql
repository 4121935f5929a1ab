-- public.webhook_health tells a member, per workspace of theirs, when the last webhook arrived and
-- how many events, processing failures and unknown types it had in the last 24 hours.
begin;
select plan(6);

insert into public.bison_connections (name, base_url, timezone)
values ('Health agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

create function pg_temp.event(type text, event_id int, workspace int) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object(
    'event', jsonb_build_object('type', type, 'name', initcap(replace(type, '_', ' ')),
                                'workspace_id', workspace, 'workspace_name', 'Client ' || workspace),
    'data', jsonb_build_object(
      'scheduled_email', jsonb_build_object('id', event_id,
                                            'sent_at', '2024-08-02T06:08:38.000000Z'),
      'campaign_event', jsonb_build_object('id', event_id,
                                           'created_at', '2024-08-02T06:09:35.000000Z'),
      'lead', jsonb_build_object('id', event_id),
      'campaign', jsonb_build_object('id', 2)));
$$;

-- Workspace 1: four events: one stays processed, one becomes unknown_type, one is marked
-- failed below, and one arrived 25 hours ago. Workspace 2 (not the member's): one event.
-- Workspace 3 (the member's): no event at all.
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.event('EMAIL_SENT', 1, 1)) ->> 'workspace_id') as ws1 \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.event('SOMETHING_NEW', 2, 1)) ->> 'outcome') as unknown_outcome \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.event('EMAIL_OPENED', 3, 1)) ->> 'event_id') as failing_event \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.event('EMAIL_SENT', 4, 1)) ->> 'event_id') as old_event \gset
select (private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
  pg_temp.event('EMAIL_SENT', 5, 2)) ->> 'workspace_id') as ws2 \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 3, 'Quiet client') returning id as ws3 \gset

-- The view reads only the status column: mark one event failed as processing would have.
update private.webhook_events set status = 'failed', error = 'simulated failure'
where id = :failing_event;
update private.webhook_events set received_at = now() - interval '25 hours'
where id = :old_event;

select results_eq(
  'select status, count(*) from private.webhook_events group by status order by status',
  $$values ('failed', 1::bigint), ('processed', 3::bigint), ('unknown_type', 1::bigint)$$,
  'setup: five events, one failed and one unknown type');
select is(:'unknown_outcome'::text, 'unknown_type', 'setup: SOMETHING_NEW is an unknown type');

select tests.create_user('member@example.test') as member \gset
insert into public.workspace_members (user_id, workspace_id)
values (:'member', :ws1), (:'member', :ws3);

select tests.authenticate_as(tests.user_id('member@example.test'));
select results_eq(
  $$select workspace_id, workspace_name, events_24h, failures_24h, unknown_types_24h,
           last_event_at = now()
    from public.webhook_health order by workspace_id$$,
  format($$values (%s::bigint, 'Client 1', 3::bigint, 1::bigint, 1::bigint, true),
                  (%s::bigint, 'Quiet client', 0::bigint, 0::bigint, 0::bigint, null::boolean)$$,
         :ws1, :ws3),
  'a member sees 3 events, 1 failure and 1 unknown type in 24 h for workspace 1, none for '
  'workspace 3, and not workspace 2');
select is(
  (select connection_id from public.webhook_health where workspace_id = :ws1), :'conn'::uuid,
  'the row names its connection');

-- With only the old event left, last_event_at is that event's arrival and the 24 h counts are 0.
select tests.clear_authentication();
delete from private.webhook_events where workspace_id = :ws1 and id <> :old_event;
select tests.authenticate_as(tests.user_id('member@example.test'));
select results_eq(
  format('select events_24h, failures_24h, unknown_types_24h, last_event_at
          from public.webhook_health where workspace_id = %s', :ws1),
  $$values (0::bigint, 0::bigint, 0::bigint, now() - interval '25 hours')$$,
  'an event older than 24 h counts for last_event_at only');
select is((select count(*) from public.webhook_health where workspace_id = :ws2), 0::bigint,
  'the other workspace stays invisible');

select * from finish();
rollback;
