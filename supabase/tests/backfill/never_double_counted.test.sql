-- Backfilled days carry Bison's numbers and are marked so; an event for such a day never adds to
-- what Bison reports; the boundary day is Bison's numbers until the backfill plus what happened
-- since.
begin;
select plan(13);

insert into public.bison_connections (name, base_url, timezone)
values ('Backfilled agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client one') returning id as ws \gset

create function pg_temp.email_sent(event_id int, at timestamptz) returns text
language sql volatile set search_path = '' as $$
  select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), jsonb_build_object(
    'event', jsonb_build_object('type', 'EMAIL_SENT', 'workspace_id', 1),
    'data', jsonb_build_object(
      'campaign_event', jsonb_build_object('id', event_id, 'type', 'sent',
        'created_at', to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
      'campaign', jsonb_build_object('id', 2)))) ->> 'outcome';
$$;
create function pg_temp.day(offset_days int) returns date
language sql stable set search_path = '' as $$ select current_date + offset_days $$;

-- Webhooks were registered this morning: two events arrived before the backfill.
select pg_temp.email_sent(1, now());
select pg_temp.email_sent(2, now());

select is(
  private.record_backfill(:ws, pg_temp.day(-3), pg_temp.day(0), jsonb_build_array(
    jsonb_build_object('day', pg_temp.day(-2), 'emails_sent', 200, 'replies', 5,
                       'interested', 2, 'bounces', 3, 'unsubscribes', 1, 'opens', 0),
    jsonb_build_object('day', pg_temp.day(-1), 'emails_sent', 180, 'replies', 4,
                       'interested', 1, 'bounces', 2, 'unsubscribes', 0, 'opens', 0),
    jsonb_build_object('day', pg_temp.day(0), 'emails_sent', 50, 'replies', 1,
                       'interested', 0, 'bounces', 0, 'unsubscribes', 0, 'opens', 0),
    jsonb_build_object('day', pg_temp.day(1), 'emails_sent', 999))),
  3, 'three days are written; a day after the boundary is ignored');

select results_eq(
  $$select day, emails_sent, replies, interested, source from public.workspace_daily_metrics
    order by day$$,
  format($$values (%L::date, 200, 5, 2, 'bison_stats'), (%L::date, 180, 4, 1, 'bison_stats'),
                  (%L::date, 50, 1, 0, 'bison_stats_and_events')$$,
         pg_temp.day(-2), pg_temp.day(-1), pg_temp.day(0)),
  'days before the boundary are Bison''s; the boundary day starts from Bison''s count, which '
  'already includes the two events of this morning');

-- A late delivery for yesterday, and new events today.
select is(pg_temp.email_sent(3, pg_temp.day(-1) + time '12:00'), 'processed',
  'a late event is stored');
select is(pg_temp.email_sent(4, clock_timestamp() + interval '1 second'), 'processed',
  'a new event of today is stored');
select is((select emails_sent from public.workspace_daily_metrics where day = pg_temp.day(-1)),
  180, 'the late event does not add to Bison''s count for that day');
select is((select emails_sent from public.workspace_daily_metrics where day = pg_temp.day(0)),
  51, 'an event after the backfill adds to the boundary day');
select is((select emails_sent from public.campaign_daily_metrics where day = pg_temp.day(-1)),
  1, 'campaign rows (never backfilled) still count the event');
select ok((select bison_stats_fetched_at is not null from public.workspace_daily_metrics
           where day = pg_temp.day(-2)), 'a backfilled day says when Bison''s numbers came');

-- Running the backfill again (onboarding again) refreshes earlier days, not the boundary day.
select is(
  private.record_backfill(:ws, pg_temp.day(-3), pg_temp.day(0), jsonb_build_array(
    jsonb_build_object('day', pg_temp.day(-1), 'emails_sent', 181),
    jsonb_build_object('day', pg_temp.day(0), 'emails_sent', 70))),
  1, 'only the day before the boundary is written again');
select results_eq(
  $$select day, emails_sent, replies from public.workspace_daily_metrics
    where day >= current_date - 1 order by day$$,
  format($$values (%L::date, 181, 4), (%L::date, 51, 1)$$, pg_temp.day(-1), pg_temp.day(0)),
  'a count Bison did not send keeps what was stored; the boundary day keeps counting events');

select throws_ok(
  format('select private.record_backfill(%s, %L, %L, %L)', :ws, pg_temp.day(0), pg_temp.day(-1),
         '[]'),
  '22023', null, 'a window that ends before it starts is refused');
select throws_ok(
  format('select private.record_backfill(%s, %L, %L, %L)', :ws, pg_temp.day(-1), pg_temp.day(0),
         '{}'),
  '22023', null, 'days that are not an array are refused');
select throws_ok(
  format('select private.record_backfill(-1, %L, %L, %L)', pg_temp.day(-1), pg_temp.day(0), '[]'),
  'P0002', null, 'an unknown workspace is refused');

select * from finish();
rollback;
