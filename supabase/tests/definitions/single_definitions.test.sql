-- Each business idea has one definition; this test fails when a second one appears in a function
-- body or a view: a mailbox status compared with a status literal (however the column is wrapped
-- or the literal matched) outside private.mailbox_status_group, a provider read from the
-- connection type outside private.classify_mailbox, burnt judged without private.is_burnt_mailbox
-- (its thresholds read, or written as literals), a rate divided outside private.percent_of, the
-- reporting zone worked out outside private.workspace_timezone, an instant's local day worked out
-- outside private.local_day, a second write of mailbox snapshots, or an event type compared with
-- a literal instead of read from private.webhook_event_types. Each pattern is proven by probes:
-- views and functions created here (and rolled back) that define an idea a second time.
begin;
select plan(18);

-- Bodies as the patterns read them (a view: the probes created below are read too): lower-cased, comments removed, calls of the status group
-- definition replaced by their result; `bare` also blanks string literals (for operators).
create temp view bodies as
select name, body, regexp_replace(body, '''(?:[^'']|'''')*''', '''''', 'g') as bare
from (
  select name, regexp_replace(
           regexp_replace(lower(src), '--[^\n]*', '', 'g'),
           'private\.mailbox_status_group\s*\([^()]*\)', 'status_group_value', 'g') as body
  from (
    select p.oid::regprocedure::text as name, p.prosrc as src from pg_catalog.pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and p.prolang in (select oid from pg_catalog.pg_language where lanname in ('sql', 'plpgsql'))
    union all
    select format('view %I.%I', v.schemaname, v.viewname), v.definition from pg_catalog.pg_views v
    where v.schemaname in ('public', 'private')
  ) sources
) b;

-- What matches the pattern outside its owners (and the exact comparisons let through): one
-- "object: matched text" per hit, probes included.
create function pg_temp.hits(pattern text, owners text[], on_bare boolean default false,
                             allowed text[] default '{}') returns text[]
language sql as $$
  select coalesce(array_agg(distinct h order by h), '{}')
  from (
    select b.name || ': ' || regexp_replace(m[1], '\s+', ' ', 'g') as h
    from bodies b
    cross join lateral regexp_matches(case when on_bare then b.bare else b.body end,
                                      '(' || pattern || ')', 'g') m
    where not (b.name = any (owners))
  ) found
  where not (h = any (allowed));
$$;
create function pg_temp.outside(pattern text, owners text[], on_bare boolean default false,
                                allowed text[] default '{}') returns text[]
language sql as $$
  select coalesce(array_agg(h order by h), '{}')
  from unnest(pg_temp.hits(pattern, owners, on_bare, allowed)) h where h !~ 'fixer_probe';
$$;
create function pg_temp.probes_caught(pattern text, on_bare boolean default false) returns text[]
language sql as $$
  select coalesce(array_agg(distinct probe order by probe), '{}')
  from (select substring(h from 'fixer_probe_\w+') as probe
        from unnest(pg_temp.hits(pattern, '{}', on_bare)) h) found
  where probe is not null;
$$;

-- A status column however wrapped (calls, casts, parentheses) compared with a mailbox status
-- literal however matched (=, <>, in, any(array[...]), like, ~, case ... when, either side).
create function pg_temp.status_pattern() returns text language sql as $f$
  select format(
    '(?<!set\s)%1$s\s*(?:=|<>|!=|~~?\*?|!~~?\*?|is\s+(?:not\s+)?distinct\s+from|(?:not\s+)?i?like'
    '|similar\s+to|(?:not\s+)?in)\s*(?:\(\s*|(?:any|all)\s*\(\s*(?:array\s*\[\s*)?)?'
    '(?:''[^'']*''(?:\s*::\s*\w+(?:\[\])?)?\s*,\s*)*%2$s'
    '|%2$s(?:\s*::\s*\w+)?\s*(?:=|<>|!=)\s*%1$s'
    '|\mcase\s+%1$s\s+when\s+%2$s',
    '(?:\w+\s*\(\s*)*(?:\(\s*)*\m(?:\w+\.)?\w*status\M(?:\s*::\s*\w+)?(?:\s*\)(?:\s*::\s*\w+)?)*',
    '(?:''[%^.*\s]*(?:connected|disconnected|not connected|failed|removed)[%$.*\s]*'''
    '|''\{[^}'']*(?:connected|disconnected|not connected|failed|removed)[^}'']*\}'')');
$f$;

-- A division whose divisor is a count (nullif, sum, count, a counter of sends, replies, ...),
-- or a percentage made by multiplying by 100. A division by a number of days is a pace (so many
-- a day, the share of a month gone), not a rate.
create function pg_temp.rate_pattern() returns text language sql as $f$
  select '/\s*(?:\(\s*)*(?!(?:\w+\s*\(\s*)*(?:\m\w+\.)?\w*days)(?:(?:nullif|greatest|sum|count|avg)\s*\('
    '|(?:\w+\s*\(\s*)*(?:\m\w+\.)?\w*(?:sent|sends|repl|interest|bounce|unsubscri|open|contact|lead'
    '|mailbox|total|capacity|daily_limit))|\m100(?:\.0*)?\s*\*';
$f$;

-- Burnt judged with literals: sends compared with a number of two digits or more, sends
-- multiplied by a fraction, replies compared with a multiple of sends, a rate compared with a
-- non-zero number (a number that multiplies a setting is not a threshold of its own).
create function pg_temp.burnt_pattern() returns text language sql as $f$
  select '(?:\m\w+\.)?\w*(?:sent|sends)\w*(?:\s*::\s*\w+)?\s*(?:>=|>|<=|<)\s*\d{2,}'
    '|\d{2,}\s*(?:>=|>|<=|<)\s*(?:\m\w+\.)?\w*(?:sent|sends)\M'
    '|(?:\m\w+\.)?\w*(?:sent|sends)\w*(?:\s*::\s*\w+)?\s*\*\s*\d*\.\d+'
    '|\d*\.\d+\s*\*\s*(?:\m\w+\.)?\w*(?:sent|sends)\M'
    '|(?:\m\w+\.)?\w*repl\w*(?:\s*::\s*\w+)?\s*(?:<|<=|>|>=)\s*(?:\m\w+\.)?\w*(?:sent|sends)\w*\s*\*'
    '|(?:percent_of\s*\((?:[^()]|\([^()]*\))*\)|\m\w*rate\w*)\s*(?:<|<=|>|>=)\s*'
    '(?:0*[1-9]\d*(?:\.\d+)?|0*\.\d*[1-9]\d*)\M(?!\s*\*)';
$f$;

-- Probes: each defines an idea a second time, as the review found they could.
create view private.fixer_probe_lower_status as
  select count(*) from public.sender_emails where lower(status) = 'disconnected';
create view private.fixer_probe_status_in as
  select count(*) from public.sender_emails where status in ('failed', 'not connected');
create view private.fixer_probe_status_any as
  select count(*) from public.sender_emails s
  where btrim(s.status)::text = any (array['Failed', 'Disconnected']);
create view private.fixer_probe_status_like as
  select count(*) from public.sender_emails s where s.status ilike '%connected%';
create function private.fixer_probe_status_reversed(s public.sender_emails) returns boolean
language sql immutable set search_path = '' as $$
  select 'removed' = lower(btrim(s.status)) or case lower(s.status) when 'connected' then false end;
$$;
create view private.fixer_probe_burnt_fraction as
  select count(*) from public.sender_emails
  where emails_sent >= 200 and unique_replies < emails_sent * 0.004;
create function private.fixer_probe_burnt_rate(s public.sender_emails) returns boolean
language sql immutable set search_path = '' as $$
  select private.percent_of(s.unique_replies, s.emails_sent) < 0.4;
$$;
create view private.fixer_probe_rate_cast as
  select unique_replies::numeric / emails_sent as reply_rate from public.sender_emails
  where emails_sent > 0;
create function private.fixer_probe_rate_share(workspace bigint) returns numeric
language sql stable set search_path = '' as $$
  select count(*) filter (where s.status_group = 'disconnected')::numeric / count(*)
  from public.sender_emails s where s.workspace_id = workspace;
$$;

-- Comparisons of other statuses that share the word 'failed': webhook events
-- (private.webhook_events.status) and webhook subscription checks (webhook_subscriptions.status).
-- A new one is added here only after checking that it is not a mailbox's status.
select is(
  pg_temp.outside(pg_temp.status_pattern(), array['private.mailbox_status_group(text)'],
    allowed => array[
      'private.evaluate_mirror_checks(timestamp with time zone): e.status = ''failed''',
      'private.process_webhook_event(bigint): event.status not in (''received'', ''failed''',
      'private.reprocess_webhook_events(bigint[]): e.status in (''received'', ''failed''',
      'private.webhook_subscription_findings(timestamp with time zone): s.status = ''failed''',
      'view public.webhook_health: and (e.status = ''failed'''
    ]),
  '{}', 'mailbox statuses are compared only by private.mailbox_status_group');
select is(pg_temp.probes_caught(pg_temp.status_pattern()),
  array['fixer_probe_lower_status', 'fixer_probe_status_any', 'fixer_probe_status_in',
        'fixer_probe_status_like', 'fixer_probe_status_reversed'],
  'probes: lower(status) = ..., status in (...), = any(array[...]), ilike, reversed and case');

select is(
  pg_temp.outside($re$connection_type\s+(i?like|~)$re$,
    array['private.classify_mailbox(text,text[],text[])']),
  '{}', 'the provider is read from the connection type only by private.classify_mailbox');

select is(
  pg_temp.outside($re$(=|\()\s*'burnt_(min_emails_sent|below_reply_rate_pct|reply_rate_threshold)'$re$,
    array['private.burnt_rule()']),
  '{}', 'the burnt thresholds are read only by private.burnt_rule');
select is(
  pg_temp.outside(pg_temp.burnt_pattern(),
    array['private.is_burnt_mailbox(bigint,bigint,bigint,numeric)'], on_bare => true),
  '{}', 'no burnt threshold is written as a literal');
select is(pg_temp.probes_caught(pg_temp.burnt_pattern(), on_bare => true),
  array['fixer_probe_burnt_fraction', 'fixer_probe_burnt_rate'],
  'probes: emails_sent >= 200 and replies < sent * 0.004; a reply rate < 0.4');

select is(
  pg_temp.outside(pg_temp.rate_pattern(),
    array['private.percent_of(numeric,numeric)',
          'private.is_burnt_mailbox(bigint,bigint,bigint,numeric)'], on_bare => true),
  '{}', 'rates are divided only by private.percent_of');
select is(pg_temp.probes_caught(pg_temp.rate_pattern(), on_bare => true),
  array['fixer_probe_rate_cast', 'fixer_probe_rate_share'],
  'probes: replies::numeric / emails_sent; a share of count(*)');
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

-- What the patterns must leave alone: the definitions used, assignments, other statuses.
create view private.fixer_fine_uses as
  select count(*) filter (where s.status_group = 'disconnected') as disconnected,
         count(*) filter (where private.mailbox_status_group(s.status) = 'removed') as removed,
         private.percent_of(sum(s.unique_replies), sum(s.emails_sent)) as reply_rate_pct,
         count(*) filter (where private.is_burnt_mailbox(s.emails_sent, s.unique_replies,
                                                         b.min_emails_sent,
                                                         b.below_reply_rate_pct)) as burnt,
         sum(s.emails_sent) filter (where s.emails_sent > 0) as sent
  from public.sender_emails s cross join private.burnt_rule() b;
select is(
  (select array_agg(h) from unnest(
     pg_temp.hits(pg_temp.status_pattern(), '{}') || pg_temp.hits(pg_temp.rate_pattern(), '{}', true)
     || pg_temp.hits(pg_temp.burnt_pattern(), '{}', true)) h
   where h ~ 'fixer_fine_uses'),
  null, 'status groups, percent_of and is_burnt_mailbox used as defined are not caught');
create function private.fixer_fine_pace(actual numeric, days_total numeric, days_elapsed numeric)
returns numeric language sql immutable set search_path = '' as $$
  select actual * days_total / greatest(days_elapsed, 1.0 / 24) + actual / nullif(days_total, 0);
$$;
select is(
  (select array_agg(h) from unnest(pg_temp.hits(pg_temp.rate_pattern(), '{}', true)) h
   where h ~ 'fixer_fine_pace'),
  null, 'a pace (a division by a number of days) is no rate');
create function private.fixer_fine_assignment(id bigint) returns void language sql
set search_path = '' as $$
  update public.sender_emails set status = 'removed' where sender_emails.id = fixer_fine_assignment.id;
$$;
select is(
  (select array_agg(h) from unnest(pg_temp.hits(pg_temp.status_pattern(), '{}')) h
   where h ~ 'fixer_fine_assignment'),
  null, 'setting a status is no comparison');
select is(
  (select count(*)::int from unnest(pg_temp.hits(pg_temp.status_pattern(), '{}')) h
   where h ~ '^view public\.webhook_health: '),
  1, 'the webhook events'' failed status is seen (and let through by name only)');
select ok(
  (select count(*) from bodies) > 100 and (select count(*) from bodies where name ~ '^view ') > 10,
  'function bodies and views are both read');
select ok(
  (select count(*) > 0 from unnest(pg_temp.hits(pg_temp.rate_pattern(), '{}', true)) h
   where h ~ '^private\.percent_of'),
  'the definition of a rate itself matches the rate pattern (and owns it)');

select * from finish();
rollback;
