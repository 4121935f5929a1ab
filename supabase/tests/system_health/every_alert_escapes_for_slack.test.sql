-- Every function that queues a Slack message (inserts into private.health_alerts, or builds one
-- with private.health_alert_message) passes each value from Bison or a user through
-- private.slack_text. Read from the function bodies: no name, detail, email, message or error
-- goes into message text (a format(), an aggregate or JSON builder, a || concatenation) unless it
-- went through private.slack_text first. Probes that forget it, or do it, are told apart.
begin;
select plan(5);

-- Where the parenthesis opened at position open closes.
create function pg_temp.closing(body text, open integer) returns integer
language plpgsql as $$
declare
  depth integer := 0;
  i integer := open;
begin
  loop
    if substr(body, i, 1) = '(' then depth := depth + 1;
    elsif substr(body, i, 1) = ')' then depth := depth - 1;
    end if;
    exit when depth = 0 or i > length(body);
    i := i + 1;
  end loop;
  return i;
end;
$$;

-- A body with comments and string literals blanked, each private.slack_text(...) call replaced
-- by a marker, and the names those calls' results were given (... as subject).
create function pg_temp.escaped_parts(body text, out rest text, out safe_aliases text[])
language plpgsql as $$
declare
  start integer;
  close integer;
  alias text;
begin
  rest := regexp_replace(lower(body), '--[^\n]*', '', 'g');
  rest := regexp_replace(rest, '''(?:[^'']|'''')*''', '''''', 'g');
  safe_aliases := '{}';
  loop
    start := position('private.slack_text(' in rest);
    exit when start = 0;
    close := pg_temp.closing(rest, start + length('private.slack_text'));
    alias := (regexp_match(substr(rest, close + 1), '^\s+as\s+(\w+)'))[1];
    if alias is not null then safe_aliases := safe_aliases || alias; end if;
    rest := overlay(rest placing 'escaped_value' from start for close - start + 1);
  end loop;
end;
$$;

-- The arguments of every call of a function matching name_pattern (nested calls each listed).
create function pg_temp.call_arguments(body text, name_pattern text) returns setof text
language plpgsql as $$
declare
  found integer := 0;
  open integer;
begin
  loop
    found := regexp_instr(body, '\m(' || name_pattern || ')\s*\(', found + 1);
    exit when found = 0;
    open := found + position('(' in substr(body, found)) - 1;
    return next substr(body, open + 1, pg_temp.closing(body, open) - open - 1);
  end loop;
end;
$$;

-- Values from Bison or users put into message text without private.slack_text.
create function pg_temp.unescaped(body text) returns text[]
language sql as $$
  with parts as (select * from pg_temp.escaped_parts(body)),
  text_building as (
    -- An aggregate's "order by" only sorts: it puts nothing into the text.
    select regexp_replace(a, '\morder\s+by\M.*$', '') as part
    from parts, pg_temp.call_arguments(parts.rest,
      'format|concat|concat_ws|string_agg|array_to_string|jsonb?_agg|jsonb?_build_object|'
      'jsonb?_build_array|private\.health_alert_message') a
    union all
    select m[1] from parts,
      regexp_matches(parts.rest, '(\m(?:\w+\.)?\w+\s*\|\||\|\|\s*(?:\w+\.)?\w+)', 'g') m
  )
  select coalesce(array_agg(distinct r[1] order by r[1]), '{}')
  from parts, text_building t,
    regexp_matches(t.part,
      '(\m(?:\w+\.)?(?:name|detail|email|emails|message|error|reason|subject|title|description)\M)',
      'g') r
  where (regexp_match(r[1], '(\w+)$'))[1] <> all (parts.safe_aliases);
$$;

create function pg_temp.message_builders() returns table (name text, unescaped text[])
language sql as $$
  select p.oid::regprocedure::text, pg_temp.unescaped(p.prosrc)
  from pg_catalog.pg_proc p
  where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    and p.prosrc ~* '(insert\s+into\s+private\.health_alerts|private\.health_alert_message\s*\()'
    and p.proname not in ('health_alert_message', 'fixer_probe_raw', 'fixer_probe_escaped');
$$;

select ok(
  (select array_agg(name) from pg_temp.message_builders())
    @> array['private.run_health_checks(timestamp with time zone)',
             'private.announce_webhook_repairs()'],
  'the health alerts and the webhook repair announcements are among the functions read');

select is(
  (select array_agg(format('%s: %s', name, unescaped)) from pg_temp.message_builders()
   where unescaped <> '{}'),
  null, 'every one of them escapes what came from Bison or a user');

-- Probes: a message built from raw names is caught, one built from escaped names is not.
create function private.fixer_probe_raw() returns void language sql set search_path = '' as $$
  insert into private.health_alerts (kind, message)
  select 'probe', private.health_alert_message('probe', 'probe',
    jsonb_agg(format('• %s (%s)', w.name, c.name) order by w.name))
  from public.workspaces w join public.bison_connections c on c.id = w.connection_id;
$$;
create function private.fixer_probe_escaped() returns void language sql set search_path = '' as $$
  insert into private.health_alerts (kind, message)
  select 'probe', private.health_alert_message('probe', 'probe',
    jsonb_agg(format('• %s (%s)', private.slack_text(w.name), private.slack_text(c.name))
              order by w.name))
  from public.workspaces w join public.bison_connections c on c.id = w.connection_id;
$$;
select is(pg_temp.unescaped(prosrc), array['c.name', 'w.name'],
  'a probe putting raw names into the message is caught')
from pg_catalog.pg_proc where oid = 'private.fixer_probe_raw()'::regprocedure;
select is(pg_temp.unescaped(prosrc), '{}',
  'a probe escaping them passes (only the sort order reads the raw name)')
from pg_catalog.pg_proc where oid = 'private.fixer_probe_escaped()'::regprocedure;
select is(pg_temp.unescaped($$ select 'Mailbox ' || s.email || ' failed: ' || s.error $$),
  array['s.email', 's.error'], 'a || concatenation of raw values is caught');

select * from finish();
rollback;
