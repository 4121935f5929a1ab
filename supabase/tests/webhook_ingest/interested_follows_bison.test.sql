-- One definition of "interested": a reply Bison marks interested, counted once on the local day
-- it became interested, whichever event says so. LEAD_INTERESTED fires only the first time Bison
-- marks a lead, so un-marking and marking again are caught by the reconciliation with Bison's
-- interested replies, which takes back from (or adds to) the day row. Reproduction: an
-- un-interested reply stayed counted, and a re-interested one was never counted again.
begin;
select plan(10);

insert into public.bison_connections (name, base_url, timezone)
values ('interest', 'https://i.example.test', 'UTC') returning id as conn \gset

create function pg_temp.event(event_type text, reply_id int, at text, interested boolean)
returns text language sql as $$
  select private.ingest_event(
    (select id from public.bison_connections where name = 'interest'),
    jsonb_build_object('event', jsonb_build_object('type', event_type, 'workspace_id', 1),
      'data', jsonb_build_object(
        'reply', jsonb_build_object('id', reply_id, 'date_received', at, 'interested', interested),
        'campaign', jsonb_build_object('id', 7), 'lead', jsonb_build_object('id', reply_id),
        'campaign_event', jsonb_build_object('id', reply_id * 10 + length(event_type),
                                             'created_at', at)))) ->> 'outcome';
$$;
create function pg_temp.interested_on(on_day date) returns int language sql as $$
  select coalesce(sum(m.interested), 0)::int from public.workspace_daily_metrics m
  join public.workspaces w on w.id = m.workspace_id
  join public.bison_connections c on c.id = w.connection_id
  where c.name = 'interest' and m.day = on_day;
$$;

-- A reply that arrived already marked (LEAD_REPLIED says interested), then LEAD_INTERESTED.
select pg_temp.event('LEAD_REPLIED', 1, '2026-11-18T10:00:00Z', true);
select pg_temp.event('LEAD_INTERESTED', 1, '2026-11-18T11:00:00Z', true);
select is(pg_temp.interested_on('2026-11-18'), 1, 'counted once, whichever event said so first');
-- Four more on the 17th.
select pg_temp.event('LEAD_INTERESTED', n, '2026-11-17T10:00:00Z', true) from generate_series(4, 7) n;
-- Two more replies marked on the 19th.
select pg_temp.event('LEAD_INTERESTED', 2, '2026-11-19T10:00:00Z', true);
select pg_temp.event('LEAD_INTERESTED', 3, '2026-11-19T12:00:00Z', true);
select is(pg_temp.interested_on('2026-11-19'), 2, 'two on the 19th');
select id as ws from public.workspaces where connection_id = :'conn' \gset
select is(
  (select sum(interested)::int from public.campaign_daily_metrics where workspace_id = :ws), 7,
  'and on the campaign''s rows');

-- Bison now marks all but reply 3: it was un-marked. No webhook says so.
select results_eq(
  format($$select marked, unmarked, held from private.reconcile_interested_replies(%s,
    '2026-11-10T00:00Z', array[1, 2, 4, 5, 6, 7]::bigint[], '2026-11-21T09:00Z')$$, :ws),
  $$values (0, 1, false)$$, 'the reconciliation un-marks reply 3');
select is(pg_temp.interested_on('2026-11-19'), 1, 'taken back from the day it was counted on');
select is((select interested from public.replies where connection_id = :'conn'
           and bison_reply_id = 3), false, 'the reply is no longer interested');

-- Reply 3 is marked again: LEAD_INTERESTED does not fire a second time (and a replay of the
-- first one is a duplicate); the reconciliation counts it on the day it finds it.
select is(pg_temp.event('LEAD_INTERESTED', 3, '2026-11-19T12:00:00Z', true), 'duplicate',
  'a replay of the first LEAD_INTERESTED is a duplicate');
select results_eq(
  format($$select marked, unmarked, held from private.reconcile_interested_replies(%s,
    '2026-11-10T00:00Z', array[1, 2, 3, 4, 5, 6, 7]::bigint[], '2026-11-22T09:00Z')$$, :ws),
  $$values (1, 0, false)$$, 'the reconciliation marks it again');
select is(pg_temp.interested_on('2026-11-22'), 1, 'counted on the day it was found marked');

-- An empty answer would un-mark everything at once: that is not trusted.
select results_eq(
  format($$select marked, unmarked, held from private.reconcile_interested_replies(%s,
    '2026-11-10T00:00Z', array[]::bigint[], '2026-11-23T09:00Z')$$, :ws),
  $$values (0, 0, true)$$, 'an answer un-marking more than 20 % at once is held');

select * from finish();
rollback;
