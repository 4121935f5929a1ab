-- Each business idea has one definition; this test fails when a second one appears in a function
-- body or a view: a mailbox status compared with a literal outside private.mailbox_status_group,
-- a provider read from the connection type outside private.classify_mailbox, burnt judged
-- without private.is_burnt_mailbox, a rate divided outside private.percent_of, the reporting zone
-- worked out outside private.workspace_timezone, an instant's local day worked out outside
-- private.local_day, a second write of mailbox snapshots, or an event type compared with a
-- literal instead of read from private.webhook_event_types.
begin;
select plan(8);

create temp table bodies on commit drop as
select p.oid::regprocedure::text as name, lower(p.prosrc) as body
from pg_catalog.pg_proc p
where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
  and p.prolang in (select oid from pg_catalog.pg_language where lanname in ('sql', 'plpgsql'))
union all
select format('view %I.%I', v.schemaname, v.viewname), lower(v.definition)
from pg_catalog.pg_views v where v.schemaname in ('public', 'private');

create function pg_temp.outside(pattern text, owners text[]) returns text[] language sql as $$
  select coalesce(array_agg(b.name order by b.name), '{}') from bodies b
  where b.body ~ pattern and not (b.name = any (owners));
$$;

select is(
  pg_temp.outside(
    -- (an assignment, "set status = 'removed'", is not a definition)
    $re$(?<!set )status\s*(=|<>|!=|is\s+(not\s+)?distinct\s+from|(not\s+)?in\s*\()\s*'(connected|disconnected|not connected|removed)'$re$,
    array['private.mailbox_status_group(text)']),
  '{}', 'mailbox statuses are grouped only by private.mailbox_status_group');

select is(
  pg_temp.outside($re$connection_type\s+(i?like|~)$re$,
    array['private.classify_mailbox(text,text[],text[])']),
  '{}', 'the provider is read from the connection type only by private.classify_mailbox');

select is(
  pg_temp.outside($re$(=|\()\s*'burnt_(min_emails_sent|below_reply_rate_pct|reply_rate_threshold)'$re$,
    array['private.burnt_rule()']),
  '{}', 'the burnt thresholds are read only by private.burnt_rule');

select is(
  pg_temp.outside($re$(/\s*nullif\s*\(|\m100(\.0*)?\s*\*)$re$,
    array['private.percent_of(numeric,numeric)',
          'private.is_burnt_mailbox(bigint,bigint,bigint,numeric)']),
  '{}', 'rates are divided only by private.percent_of');

select is(
  pg_temp.outside($re$coalesce\s*\(\s*\w+\.timezone\s*,$re$,
    array['private.workspace_timezone(bigint)']),
  '{}', 'the reporting zone is worked out only by private.workspace_timezone');

select is(
  pg_temp.outside($re$at\s+time\s+zone\s+private\.(visible_)?workspace_timezone\s*\($re$,
    array['private.local_day(bigint,timestamp with time zone)']),
  '{}', 'the reporting day of an instant is worked out only by private.local_day');

select is(
  pg_temp.outside($re$insert\s+into\s+public\.sender_emails$re$,
    array['private.merge_sender_emails(uuid,private.mailbox_snapshot[])']),
  '{}', 'mailbox snapshots are written only by private.merge_sender_emails');

select is(
  pg_temp.outside(
    $re$event_type\s*(=|<>|!=|(not\s+)?in\s*\(|(not\s+)?like)\s*'$re$, array[]::text[]),
  '{}', 'no event type is compared with a literal: private.webhook_event_types knows them');

select * from finish();
rollback;
