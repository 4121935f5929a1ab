-- A workspace flagged for review merges into the one it really is: its events are applied there
-- once, later events land there, and nothing is counted twice or lost.
begin;
select plan(10);

insert into public.bison_connections (name, base_url, timezone)
values ('Reviewing agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));
-- Recorded by hand under the wrong Bison number.
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 12, 'Acme') returning id as acme \gset
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('acme-viewer@example.test'), :acme);

create function pg_temp.sent(event_id int, workspace int) returns jsonb
language sql volatile set search_path = '' as $$
  select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), jsonb_build_object(
    'event', jsonb_build_object('type', 'EMAIL_SENT', 'workspace_id', workspace),
    'data', jsonb_build_object('campaign_event',
      jsonb_build_object('id', event_id, 'created_at', '2026-11-20T12:00:00Z'),
      'campaign', jsonb_build_object('id', 2), 'lead', jsonb_build_object('id', event_id))));
$$;
select pg_temp.sent(1, 57);
select pg_temp.sent(2, 57);
select id as flagged from public.workspaces where connection_id = :'conn' and bison_workspace_id = 57 \gset

select ok((select needs_review from public.workspaces where id = :flagged),
  'events from an unknown Bison workspace create it flagged for review');
select throws_ok(format('select private.merge_review_workspace(%s, %s)', :acme, :flagged),
  '22023', null, 'only a flagged workspace is merged');

select is(
  private.merge_review_workspace(:flagged, :acme) -> 'events_applied',
  '{"processed": 2}'::jsonb, 'its two events are applied to the real workspace');
select is((select bison_workspace_id from public.workspaces where id = :acme), 57::bigint,
  'which takes the Bison number the events carry');
select is((select count(*)::int from public.workspaces where id = :flagged), 0,
  'the flagged workspace is gone');
select results_eq(
  $$select workspace_id, emails_sent from public.workspace_daily_metrics$$,
  format('values (%s::bigint, 2)', :acme), 'its counts moved, once');
select is((select count(*)::int from public.leads where workspace_id = :acme), 2,
  'so did its leads');
select is(pg_temp.sent(3, 57) ->> 'outcome', 'processed', 'a later event');
select is((select emails_sent from public.workspace_daily_metrics where workspace_id = :acme), 3,
  'lands on the real workspace');
select ok(not exists (select 1 from public.workspaces where needs_review),
  'and flags nothing new');

select * from finish();
rollback;
