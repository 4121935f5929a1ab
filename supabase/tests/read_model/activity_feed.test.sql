-- public.activity_feed from real webhook ingest: a reply, the same reply marked interested, an
-- auto-reply (left out) and another workspace's reply; newest first per workspace; and the
-- broadcasts on workspace:<id>:activity, each one row of the feed, none for old news.
begin;
select plan(8);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000b701', 'activity', 'https://act.example.test');
insert into private.webhook_tokens (connection_id, token_sha256)
values ('00000000-0000-4000-8000-00000000b701', encode(sha256('activity-token'::bytea), 'hex'));

-- A Bison reply event: times are minutes before now.
create function pg_temp.reply_event(type text, reply_id int, workspace int, minutes_ago int,
                                    automated boolean default false) returns jsonb
language sql stable set search_path = '' as $$
  select jsonb_build_object(
    'event', jsonb_build_object('type', type, 'workspace_id', workspace,
                                'workspace_name', 'Client ' || workspace),
    'data', jsonb_build_object(
      'reply', jsonb_build_object('id', reply_id, 'email_subject', 'Re: subject ' || reply_id,
        'automated_reply', automated, 'interested', type = 'LEAD_INTERESTED',
        'date_received', now() - make_interval(mins => minutes_ago + 60),
        'from_email_address', 'from' || reply_id || '@prospect.example.test'),
      'campaign_event', jsonb_build_object('id', reply_id * 10 + length(type),
        'created_at', now() - make_interval(mins => minutes_ago)),
      'lead', jsonb_build_object('id', reply_id, 'email', 'Lead' || reply_id || '@Prospect.example.test',
        'first_name', ' Ana ', 'last_name', 'Li'),
      'campaign', jsonb_build_object('id', 7, 'name', 'Launch')));
$$;
create function pg_temp.ingest(event jsonb) returns jsonb language sql as $$
  select private.ingest_webhook_event(encode(sha256('activity-token'::bytea), 'hex'), event);
$$;

select pg_temp.ingest(pg_temp.reply_event('LEAD_REPLIED', 11, 1, 50));
select pg_temp.ingest(pg_temp.reply_event('LEAD_INTERESTED', 11, 1, 20));
select pg_temp.ingest(pg_temp.reply_event('LEAD_REPLIED', 12, 1, 10, true));
select pg_temp.ingest(pg_temp.reply_event('LEAD_REPLIED', 13, 1, 3 * 24 * 60));
select pg_temp.ingest(pg_temp.reply_event('LEAD_REPLIED', 14, 2, 5));
create temp table ws on commit drop as
select w.bison_workspace_id as bison, w.id from public.workspaces w
where w.connection_id = '00000000-0000-4000-8000-00000000b701';
create temp table reply on commit drop as
select r.bison_reply_id as bison, r.id from public.replies r
where r.connection_id = '00000000-0000-4000-8000-00000000b701';

select results_eq(
  $$select a.id, a.kind, a.occurred_at, a.campaign_name, a.lead_email, a.lead_name, a.subject
    from public.activity_feed a where a.workspace_id = (select id from ws where bison = 1)
    order by a.occurred_at desc$$,
  $$select v.kind || ':' || (select id from reply where bison = v.reply), v.kind,
           now() - make_interval(mins => v.minutes_ago), 'Launch',
           'lead' || v.reply || '@prospect.example.test', 'Ana Li', 'Re: subject ' || v.reply
    from (values ('interested', 11, 20), ('reply', 11, 110), ('reply', 13, 3 * 24 * 60 + 60))
         v(kind, reply, minutes_ago)$$,
  'the reply and its interest, newest first; the auto-reply left out; lead and campaign named');

select is(
  (select array_agg(a.workspace_id) from public.activity_feed a
   where a.reply_id = (select id from reply where bison = 14)),
  array[(select id from ws where bison = 2)], 'another workspace''s reply is in its own feed');

select results_eq(
  $$select a.campaign_id, a.lead_id, a.reply_id from public.activity_feed a
    where a.id = 'reply:' || (select id from reply where bison = 11)$$,
  $$select r.campaign_id, r.lead_id, r.id from public.replies r
    where r.id = (select id from reply where bison = 11)$$,
  'rows carry the ids of their reply, lead and campaign');

-- Broadcasts: one message per new row of the feed, its payload the row itself (its own id kept:
-- Realtime adds a message id only to a payload without one).
select results_eq(
  $$select m.event, m.private, m.payload
    from realtime.messages m
    where m.topic = 'workspace:' || (select id from ws where bison = 1) || ':activity'
    order by m.inserted_at, m.payload ->> 'occurred_at'$$,
  $$select 'activity', true, to_jsonb(a)
    from public.activity_feed a
    where a.workspace_id = (select id from ws where bison = 1)
      and a.occurred_at > now() - interval '1 day'
    order by a.occurred_at$$,
  'the workspace''s recent feed rows were broadcast privately, each exactly as the feed shows it');
select is(
  (select count(*)::int from realtime.messages m
   where m.topic = 'workspace:' || (select id from ws where bison = 1) || ':activity'
     and m.payload ->> 'reply_id' = (select id from reply where bison = 13)::text),
  0, 'a reply three days old when it arrived is not broadcast');
select is(
  (select count(*)::int from realtime.messages m
   where m.topic = 'workspace:' || (select id from ws where bison = 2) || ':activity'), 1,
  'the other workspace''s reply went to its own topic');

-- The same reply again (a retry with another id) changes nothing and sends nothing.
select pg_temp.ingest(pg_temp.reply_event('LEAD_REPLIED', 11, 1, 49));
select is(
  (select count(*)::int from realtime.messages m
   where m.topic = 'workspace:' || (select id from ws where bison = 1) || ':activity'), 2,
  'a reply seen again is not broadcast again');

-- Interest the reconciliation finds is news too.
select private.reconcile_interested_replies((select id from ws where bison = 2), now() - interval '1 day',
  array[14::bigint]);
select is(
  (select array_agg(m.payload ->> 'kind' order by m.payload ->> 'kind') from realtime.messages m
   where m.topic = 'workspace:' || (select id from ws where bison = 2) || ':activity'),
  array['interested', 'reply'], 'interest found by the reconciliation is broadcast');

select * from finish();
rollback;
