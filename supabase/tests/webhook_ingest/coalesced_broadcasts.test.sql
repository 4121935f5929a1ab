-- Metric broadcasts are coalesced per topic: the first change of a burst goes at once, the rest
-- wait until the topic's interval has passed and then go as one message carrying the latest
-- state; pending days of one topic go one per interval, the longest waiting first. A change a
-- writer has not committed yet is never flushed without it.
begin;
select plan(15);

insert into public.bison_connections (name, base_url, timezone)
values ('Coalescing agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

create function pg_temp.email_sent(event_id int, workspace int, day text) returns text
language sql set search_path = '' as $$
  select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'), jsonb_build_object(
    'event', jsonb_build_object('type', 'EMAIL_SENT', 'workspace_id', workspace),
    'data', jsonb_build_object(
      'scheduled_email', jsonb_build_object('id', event_id, 'sent_at', day || 'T10:00:00Z'),
      'lead', jsonb_build_object('id', event_id)))) ->> 'outcome';
$$;
create function pg_temp.messages(topic text)
returns table (day text, emails_sent int)
language sql set search_path = '' as $$
  select m.payload ->> 'day', (m.payload ->> 'emails_sent')::int from realtime.messages m
  where m.topic = messages.topic and m.event = 'metrics_updated';
$$;
-- The topic's interval passes now; or lasts (however slow this machine is) until it passes.
create function pg_temp.interval_passes(topic text) returns void
language sql set search_path = '' as $$
  update private.broadcast_topics t set next_send_at = clock_timestamp() - interval '1 second'
  where t.topic = interval_passes.topic;
$$;
create function pg_temp.interval_lasts(topic text) returns void
language sql set search_path = '' as $$
  update private.broadcast_topics t set next_send_at = clock_timestamp() + interval '1 hour'
  where t.topic = interval_lasts.topic;
$$;

select is(pg_temp.email_sent(1, 1, '2026-11-02'), 'processed', 'setup: a first email');
select 'workspace:' || id || ':metrics' as topic from public.workspaces
where connection_id = :'conn' and bison_workspace_id = 1 \gset

select results_eq(format('select * from pg_temp.messages(%L)', :'topic'),
  $$values ('2026-11-02', 1)$$, 'the first change of a burst is broadcast at once');

select pg_temp.interval_lasts(:'topic');
select pg_temp.email_sent(n, 1, '2026-11-02') from generate_series(2, 50) n;
select results_eq(format('select count(*)::int from pg_temp.messages(%L)', :'topic'),
  array[1], 'the 49 changes that follow within the interval send nothing yet');
select results_eq('select day::text from private.pending_metric_broadcasts',
  array['2026-11-02'], 'their day is pending, once');
select is((select sent from private.flush_coalesced_broadcasts()), 0,
  'a flush before the interval has passed sends nothing');
select ok((select next_due_at from private.flush_coalesced_broadcasts())
          > clock_timestamp() + interval '50 minutes',
  'and says when the pending day will be due');

select pg_temp.interval_passes(:'topic');
select is((select sent from private.flush_coalesced_broadcasts()), 1,
  'once the interval has passed, one message goes');
select set_eq(format('select * from pg_temp.messages(%L)', :'topic'),
  $$values ('2026-11-02', 1), ('2026-11-02', 50)$$,
  'carrying the latest state: the last change of the burst is delivered');
select is_empty('select 1 from private.pending_metric_broadcasts', 'nothing is pending any more');
select is((select next_due_at from private.flush_coalesced_broadcasts()), null,
  'and no flush is due');

-- Two days change within one interval: one message per interval, the longest waiting first.
select pg_temp.interval_passes(:'topic');
select pg_temp.email_sent(51, 1, '2026-11-02');
select pg_temp.interval_lasts(:'topic');
select pg_temp.email_sent(52, 1, '2026-11-01');
select pg_temp.email_sent(53, 1, '2026-11-02');
select pg_temp.interval_passes(:'topic');
select is((select sent from private.flush_coalesced_broadcasts()), 1,
  'two pending days of one topic: one message per interval...');
select results_eq('select day::text from private.pending_metric_broadcasts',
  array['2026-11-02'], '...the longest waiting day first');
select pg_temp.interval_passes(:'topic');
select is((select sent from private.flush_coalesced_broadcasts()), 1, 'the other one next');
select set_eq(format('select * from pg_temp.messages(%L)', :'topic'),
  $$values ('2026-11-02', 1), ('2026-11-02', 50), ('2026-11-02', 51), ('2026-11-01', 1),
           ('2026-11-02', 52)$$,
  'the leading change, then the pending days, each with its latest state');

-- Another workspace has a topic (and an interval) of its own.
select pg_temp.email_sent(60, 2, '2026-11-02');
select is((select count(*)::int from realtime.messages
           where topic <> :'topic' and event = 'metrics_updated'), 1,
  'another workspace''s first change is broadcast at once, on its own topic');

select * from finish();
rollback;
