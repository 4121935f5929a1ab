-- One message per agency, a block per client, behind first: yesterday's numbers, the month to
-- date against each target with its pacing, mailboxes disconnected or burnt since the last digest,
-- open pipeline problems; every value from Bison or a user escaped.
begin;
select plan(14);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000e801', 'Agency <!here>', 'https://dc.example.test', 'UTC');
-- Sending every day keeps the statuses independent of today's weekday.
insert into public.workspaces (id, connection_id, bison_workspace_id, name, sending_weekdays)
overriding system value values
  (920801, '00000000-0000-4000-8000-00000000e801', 1, 'Ahead & co', '{1,2,3,4,5,6,7}'),
  (920802, '00000000-0000-4000-8000-00000000e801', 2, 'Behind <!channel>', '{1,2,3,4,5,6,7}'),
  (920803, '00000000-0000-4000-8000-00000000e801', 3, 'Aardvark, no target', '{1,2,3,4,5,6,7}');
select (now() at time zone 'UTC')::date as today \gset
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies, interested)
values (920801, :'today', 1000, 0, 0),
       (920802, :'today'::date - 1, 120, 5, 2);
select private.set_workspace_target(920801, 'emails_sent', 1, null, null);
select private.set_workspace_target(920802, 'interested', 1000000, null, null);
select private.set_workspace_target(920802, 'emails_sent', 1000000, null, null);

insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, email, status,
                                  emails_sent, unique_replies)
values ('00000000-0000-4000-8000-00000000e801', 1, 920802, 'fresh<@U123>@x.test', 'disconnected', 10, 1),
       ('00000000-0000-4000-8000-00000000e801', 2, 920802, 'old@x.test', 'disconnected', 10, 1),
       ('00000000-0000-4000-8000-00000000e801', 3, 920802, 'burnt@x.test', 'connected', 1000, 0),
       ('00000000-0000-4000-8000-00000000e801', 4, 920802, 'healthy@x.test', 'connected', 1000, 40);
-- Disconnected a minute before this digest, and two days before (so before the last one).
update public.sender_emails set disconnect_recorded_at = now() - interval '1 minute'
where bison_sender_email_id = 1 and workspace_id = 920802;
update public.sender_emails set disconnect_recorded_at = now() - interval '2 days'
where bison_sender_email_id = 2 and workspace_id = 920802;
insert into public.system_health (check_name, scope, workspace_id, connection_id, status, value,
                                  message, checked_at, changed_at)
values ('mailbox_sync', 'workspace:920802', 920802, null, 'degraded', 900, '@here sync broke',
        now(), now()),
       ('webhook_rejections', 'connection:x', null, '00000000-0000-4000-8000-00000000e801',
        'degraded', 12, '12 refused <!everyone>', now(), now()),
       ('webhook_silence', 'workspace:920801', 920801, null, 'healthy', 10, 'fine', now(), now());

select is(private.queue_slack_digest('00000000-0000-4000-8000-00000000e801', 'daily', :'today'), 1,
  'the daily digest is queued');
select is(private.queue_slack_digest('00000000-0000-4000-8000-00000000e801', 'daily', :'today'), 0,
  'once');
select message as digest from private.health_alerts where kind = 'digest' \gset
create temporary table sections on commit drop as
select position, block -> 'text' ->> 'text' as text
from jsonb_array_elements(:'digest'::jsonb -> 'blocks') with ordinality b(block, position)
where block ->> 'type' = 'section';

select is(:'digest'::jsonb ->> 'text', 'Daily digest · ' || to_char(:'today'::date, 'Dy FMDD Mon YYYY'),
  'titled with the day');
select ok(
  (:'digest'::jsonb #>> '{blocks,1,elements,0,text}') like
    '*Agency &lt;!here&gt;* · 3 client(s), behind first: 1 at risk, 0 behind · local time UTC',
  'the agency, its clients and its zone in the context line, the name escaped');
select results_eq(
  $$select split_part(text, E'\n', 1) from sections order by position$$,
  $$values (':rotating_light: *Pipeline problems*'),
           ('*Behind &lt;!channel&gt;* · :red_circle: at risk'),
           ('*Ahead &amp; co* · :rocket: ahead'),
           ('*Aardvark, no target* · :white_circle: no target')$$,
  'the agency''s pipeline first, then a block per client, behind first, names escaped');
select ok((select text like '%webhook_rejections — 12 refused &lt;!everyone&gt; (degraded)%'
           from sections where position = 3),
  'the connection''s problems, escaped');
select ok((select text like format('%%Yesterday (%s): 120 sent · 5 replies · 2 interested%%',
                                   to_char(:'today'::date - 1, 'Dy FMDD Mon'))
           from sections where text like '*Behind%'),
  'yesterday''s sends, replies and interested');
-- Yesterday's row counts in the month to date unless today is the first of the month.
select case when date_trunc('month', :'today'::date - 1) = date_trunc('month', :'today'::date)
  then 1 else 0 end as yesterday_this_month \gset
select ok((select text ~ format(
             '• Interested: %s of 1,000,000 \(0%%\), expected [0-9.,]+ by now, on pace for [0-9.,]+ · :red_circle: at risk\n• Emails Sent: %s of 1,000,000',
             2 * :yesterday_this_month, 120 * :yesterday_this_month)
           from sections where text like '*Behind%'),
  'the month to date against each target with its pacing, interested first');
select ok((select text like '%:electric_plug: 1 mailbox(es) disconnected since the last digest: fresh&lt;@U123&gt;@x.test%'
                  and text not like '%old@x.test%'
           from sections where text like '*Behind%'),
  'mailboxes disconnected since the last digest, escaped; earlier ones left out');
select ok((select text like '%:fire: 1 mailbox(es) burnt since the last digest: burnt@x.test%'
                  and text not like '%healthy@x.test%'
           from sections where text like '*Behind%'),
  'burnt mailboxes');
select ok((select text like E'%• :warning: mailbox_sync — @\u200Bhere sync broke (degraded)%'
           from sections where text like '*Behind%'),
  'the client''s open problems, @here made harmless');
select ok((select text not like '%webhook_silence%' from sections where text like '*Ahead%'),
  'healthy checks are not problems');

-- The next day: only what happened since.
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, email, status,
                                  emails_sent, unique_replies)
values ('00000000-0000-4000-8000-00000000e801', 5, 920802, 'newly-burnt@x.test', 'connected', 900, 1);
select private.queue_slack_digest('00000000-0000-4000-8000-00000000e801', 'daily', :'today'::date + 1);
select ok(
  (select message::text like '%burnt since the last digest: newly-burnt@x.test%'
          and message::text not like '%burnt@x.test,%' and message::text not like '%: burnt@x.test%'
          and message::text not like '%disconnected since the last digest%'
   from private.health_alerts where kind = 'digest' order by id desc limit 1),
  'the next digest names only the newly burnt and nothing disconnected since');
select is(
  (select burnt_sender_email_ids from private.slack_digests
   where connection_id = '00000000-0000-4000-8000-00000000e801' and period_start = :'today'::date + 1),
  (select array_agg(id order by id) from public.sender_emails
   where workspace_id = 920802 and email like '%burnt@x.test'),
  'each digest remembers which mailboxes were burnt');

select * from finish();
rollback;
