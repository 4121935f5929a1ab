-- The weekly roll-up reports the week (Monday to Sunday) before this one against the week before
-- that, with each client's pacing; a digest with more clients than a Slack message holds goes out
-- as numbered parts, in order.
begin;
select plan(7);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000e901', 'Weekly agency', 'https://wk.example.test', 'UTC');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value
select 920900 + g, '00000000-0000-4000-8000-00000000e901', g, format('Client %s', lpad(g::text, 2, '0'))
from generate_series(1, 50) g;
select (now() at time zone 'UTC')::date
       - (extract(isodow from now() at time zone 'UTC')::integer - 1) as monday \gset
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies, interested)
values (920901, :'monday'::date - 7, 400, 8, 2),   -- last week's Monday
       (920901, :'monday'::date - 1, 300, 6, 1),   -- last week's Sunday
       (920901, :'monday'::date - 8, 500, 5, 1),   -- the week before
       (920901, :'monday'::date, 9999, 99, 9);     -- this week: not in the roll-up

select is(private.queue_slack_digest('00000000-0000-4000-8000-00000000e901', 'weekly',
                                     :'monday'::date - 7), 1, 'the weekly roll-up is queued');
select is(private.queue_slack_digest('00000000-0000-4000-8000-00000000e901', 'weekly',
                                     :'monday'::date - 7), 0, 'once');
select results_eq(
  $$select message ->> 'text', jsonb_array_length(message -> 'blocks') from private.health_alerts
    where kind = 'weekly_digest' order by id$$,
  format($$values ('Weekly roll-up · week of %1$s (1/2)', 47), ('Weekly roll-up · week of %1$s (2/2)', 7)$$,
    to_char(:'monday'::date - 7, 'Dy FMDD Mon YYYY')),
  '50 clients: two numbered messages of at most 45 client blocks, header and context each');
select ok(
  (select message::text like
     format('%%*Client 01* · :white_circle: no target\\nWeek of %s: 700 sent · 14 replies (2%%%%) · 3 interested; the week before: 500 sent · 5 replies (1%%%%) · 1 interested%%',
            to_char(:'monday'::date - 7, 'Dy FMDD Mon'))
   from private.health_alerts where kind = 'weekly_digest' order by id limit 1),
  'a client''s week: sends, replies and their rate, interested, against the week before');
select ok(
  (select bool_and(message::text not like '%since the last digest%')
   from private.health_alerts where kind = 'weekly_digest'),
  'the roll-up is about the weeks, not mailbox changes');

select is(private.queue_slack_digest('00000000-0000-4000-8000-00000000e901', 'daily',
                                     :'monday'), 1, 'a daily digest of the same agency');
select is((select count(*) from private.health_alerts where kind = 'digest'), 2::bigint,
  'is its own message(s)');

select * from finish();
rollback;
