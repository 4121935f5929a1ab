-- The hourly interest reconciliation and Bison's own day numbers agree: what the reconciliation
-- replays or un-marks changes a day holding Bison's numbers only when it happened after they were
-- fetched, as events do. Reproduction: right after onboarding, the reconciliation replayed that
-- morning's interested replies (already in Bison's count for the boundary day) and counted each
-- of them a second time.
begin;
select plan(9);

insert into public.bison_connections (name, base_url, timezone)
values ('Reconciled agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client one') returning id as ws \gset
-- One un-marking at a time is more than a fifth of this small window: never held here.
update private.settings set value = '100' where key = 'interested_unmark_hold_share_pct';

-- A reply as the reconciliation replays it (LEAD_INTERESTED), or as LEAD_REPLIED brings it.
create function pg_temp.deliver(event_type text, reply_id int, received timestamptz) returns text
language sql volatile set search_path = '' as $$
  select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), jsonb_build_object(
    'event', jsonb_build_object('type', event_type, 'workspace_id', 1),
    'data', jsonb_build_object('reply', jsonb_build_object('id', reply_id,
      'date_received', to_char(received at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
      'interested', event_type = 'LEAD_INTERESTED')))) ->> 'outcome';
$$;
create function pg_temp.interested_on(offset_days int) returns bigint
language sql stable set search_path = '' as $$
  select coalesce(sum(m.interested), 0) from public.workspace_daily_metrics m
  where m.day = current_date + offset_days;
$$;
create function pg_temp.reconcile(ids bigint[]) returns text
language sql volatile set search_path = '' as $$
  select format('%s marked, %s unmarked, %s', r.marked, r.unmarked,
                case when r.held then 'held' else 'not held' end)
  from public.workspaces w,
       private.reconcile_interested_replies(w.id, current_date - 7, ids, clock_timestamp()) r
  where w.name = 'Client one';
$$;

-- Onboarded today: Bison's numbers for the two days before and for this morning.
select private.record_backfill(:ws, current_date - 3, current_date, jsonb_build_array(
  jsonb_build_object('day', current_date - 2, 'interested', 2),
  jsonb_build_object('day', current_date - 1, 'interested', 1),
  jsonb_build_object('day', current_date, 'interested', 1)));

-- The first reconciliation replays what Bison lists: replies Bison's numbers hold already (one of
-- two days ago, one of this morning) and one of a week ago, before the backfilled days.
select pg_temp.deliver('LEAD_INTERESTED', 11, (current_date - 2) + time '09:00');
select pg_temp.deliver('LEAD_INTERESTED', 12, now());
select pg_temp.deliver('LEAD_INTERESTED', 13, (current_date - 6) + time '09:00');
select pg_temp.deliver('LEAD_REPLIED', 14, (current_date - 1) + time '10:00');
select results_eq(
  $$select pg_temp.interested_on(-2), pg_temp.interested_on(-1), pg_temp.interested_on(0)$$,
  $$values (2::bigint, 1::bigint, 1::bigint)$$,
  'replayed replies that Bison''s numbers hold add nothing, not even to the boundary day');
select is(pg_temp.interested_on(-6), 1::bigint, 'a day counted from events counts its replay');
select is((select count(*)::int from public.replies where interested), 3,
  'the replies themselves are known as interested');

-- Bison also marks a reply the mirror knew as not interested: counted now, after Bison's numbers.
select is(pg_temp.reconcile('{11, 12, 13, 14}'), '1 marked, 0 unmarked, not held',
  'the reconciliation marks the reply Bison lists');
select is(pg_temp.interested_on(0), 2::bigint, 'and counts it today, on top of Bison''s number');

-- Bison un-marks the reply of two days ago: that day keeps Bison's number.
select is(pg_temp.reconcile('{12, 13, 14}'), '0 marked, 1 unmarked, not held',
  'the reconciliation un-marks a reply Bison no longer lists');
select results_eq(
  $$select pg_temp.interested_on(-2), (select interested from public.replies
                                       where bison_reply_id = 11)$$,
  $$values (2::bigint, false)$$,
  'a day holding Bison''s numbers is not taken from for what happened before they were fetched');

-- Un-marking what was counted after Bison's numbers, or on a day of events, takes it back.
select is(pg_temp.reconcile('{12}'), '0 marked, 2 unmarked, not held',
  'two more replies are un-marked');
select results_eq(
  $$select pg_temp.interested_on(0), pg_temp.interested_on(-6)$$,
  $$values (1::bigint, 0::bigint)$$,
  'each is taken back from the day it was counted on');

select * from finish();
rollback;
