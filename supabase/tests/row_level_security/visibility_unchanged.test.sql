-- The set-based policies (the caller's workspaces listed once per query) show every API role
-- exactly the rows the per-row predicates they replaced showed: every table and view an API role
-- may read, and the read model's function, are read as anon, a member, a member of another
-- workspace, a signed-in user of no workspace, an agency admin and service_role; then every
-- set-based comparison is put back in its released per-row form (private.is_workspace_member and
-- private.is_connection_member, as last released) and everything is read again. The fixture has
-- a row of every kind in every such relation, rows of no workspace, a connection with none, and
-- broadcasts on topics of no workspace.
begin;
select plan(11);

-- Two connections with workspaces, one workspace nobody is a member of, one connection with none.
insert into public.bison_connections (id, name, base_url, timezone) values
  ('00000000-0000-4000-8000-0000000e5101', 'rls-one', 'https://rls-one.example.test', 'UTC'),
  ('00000000-0000-4000-8000-0000000e5102', 'rls-two', 'https://rls-two.example.test', 'UTC'),
  ('00000000-0000-4000-8000-0000000e5103', 'rls-three', 'https://rls-three.example.test', 'UTC'),
  ('00000000-0000-4000-8000-0000000e5104', 'rls-empty', 'https://rls-empty.example.test', 'UTC');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values
  (950101, '00000000-0000-4000-8000-0000000e5101', 1, 'Member''s'),
  (950102, '00000000-0000-4000-8000-0000000e5101', 2, 'Neighbour'),
  (950103, '00000000-0000-4000-8000-0000000e5102', 1, 'Outsider''s'),
  (950104, '00000000-0000-4000-8000-0000000e5103', 1, 'Nobody''s');
select tests.create_user('rls-member@example.test');
select tests.create_user('rls-outsider@example.test');
select tests.create_user('rls-nobody@example.test');
select tests.create_user('rls-admin@example.test');
insert into public.workspace_members (user_id, workspace_id) values
  (tests.user_id('rls-member@example.test'), 950101),
  (tests.user_id('rls-outsider@example.test'), 950103);
insert into public.agency_admins (user_id) values (tests.user_id('rls-admin@example.test'));

-- A row of every kind per workspace (the inserts broadcast to realtime.messages as they do live).
create temp table fixture_workspaces on commit drop as
select id, connection_id from public.workspaces where id between 950101 and 950104;
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies)
select id, current_date, 40, 2 from fixture_workspaces;
insert into public.bison_daily_stats (workspace_id, day, emails_sent)
select id, current_date - 1, 30 from fixture_workspaces;
insert into public.campaigns (workspace_id, bison_campaign_id, name)
select id, 1, 'Campaign of ' || id from fixture_workspaces;
insert into public.campaign_daily_metrics (campaign_id, workspace_id, day, emails_sent)
select c.id, c.workspace_id, current_date, 20
from public.campaigns c join fixture_workspaces w on w.id = c.workspace_id;
insert into public.leads (workspace_id, bison_lead_id, email, status)
select id, 1, 'lead@w' || id || '.example.test', 'interested' from fixture_workspaces;
insert into public.replies (connection_id, workspace_id, bison_reply_id, lead_id, campaign_id,
  received_at, subject, interested, interested_at)
select w.connection_id, w.id, w.id, l.id, c.id, now() - interval '1 hour', 'Re: hello', true, now()
from fixture_workspaces w
join public.leads l on l.workspace_id = w.id
join public.campaigns c on c.workspace_id = w.id;
-- Mailboxes: one per workspace, and one of no workspace on a connection with workspaces and on
-- the connection without.
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, email,
  status, daily_limit)
select connection_id, id, id, 'box@w' || id || '.example.test', 'connected', 30
from fixture_workspaces
union all
values ('00000000-0000-4000-8000-0000000e5101'::uuid, 1::bigint, null::bigint,
        'orphan@rls-one.example.test', 'disconnected', 30),
       ('00000000-0000-4000-8000-0000000e5104', 1, null, 'orphan@rls-empty.example.test',
        'connected', 30);
insert into public.sender_email_daily_snapshots (sender_email_id, day, connection_id, workspace_id,
  status, emails_sent)
select s.id, current_date - 1, s.connection_id, s.workspace_id, s.status, 10
from public.sender_emails s
where s.connection_id in (select id from public.bison_connections where name like 'rls-%');
insert into public.sender_email_sync_runs (workspace_id, poll_run_id, complete)
select id, gen_random_uuid(), true from fixture_workspaces;
insert into public.insights (workspace_id, period_days, period_start, period_end, source, items,
  facts)
select id, 7, current_date - 7, current_date, 'rules', '[{"title": "Steady"}]', '[]'
from fixture_workspaces;
insert into public.workspace_targets (workspace_id, month, metric, target)
select id, date_trunc('month', now() at time zone 'UTC')::date, 'emails_sent', 1000
from fixture_workspaces;
insert into public.workspace_milestones (workspace_id, month, metric, threshold_pct, value, target)
select id, date_trunc('month', now() at time zone 'UTC')::date, 'replies', 25, 5, 20
from fixture_workspaces;
insert into private.webhook_events (connection_id, workspace_id, event_type, idempotency_key,
  payload, received_at, occurred_at, status)
select connection_id, id, 'email_sent', 'rls-visibility:' || id, '{}'::jsonb, now(), now(), 'processed'
from fixture_workspaces
union all
select '00000000-0000-4000-8000-0000000e5101', null, 'email_sent', 'rls-visibility:none', '{}',
       now(), now(), 'failed';
insert into private.webhook_subscriptions (workspace_id, bison_webhook_id, status, checked_at,
  verified_at)
select id, id, 'ok', now(), now() from fixture_workspaces;
insert into private.workspace_poll_state (workspace_id, last_complete_sync_at)
select id, now() from fixture_workspaces;
-- Checks of a workspace, of a connection (with and without workspaces) and of the whole system.
insert into public.system_health (check_name, scope, workspace_id, connection_id, status, message,
  checked_at, changed_at)
select 'webhook_silence', 'workspace:' || id, id, connection_id, 'down', 'silent', now(), now()
from fixture_workspaces
union all
select 'webhook_rejections', 'connection:' || c.id, null, c.id, 'degraded', 'refused', now(), now()
from public.bison_connections c where c.name in ('rls-one', 'rls-empty')
union all
values ('rls_cron', 'global', null::bigint, null::uuid, 'healthy', 'fine', now(), now());
insert into private.system_health_history (check_name, scope, status, message, recorded_at)
select h.check_name, h.scope, s.status, 'then ' || s.status, now() - s.ago
from public.system_health h
cross join (values ('healthy', interval '2 hours'), ('down', interval '1 hour')) s(status, ago)
where h.scope in (select 'workspace:' || id from fixture_workspaces)
   or h.connection_id in (select id from public.bison_connections where name like 'rls-%')
   or h.check_name = 'rls_cron';
insert into public.provider_performance_history (connection_id, day, provider, reseller,
  mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes, emails_sent_day,
  emails_sent_7d, emails_sent_30d, unique_replies_day, unique_replies_7d, unique_replies_30d,
  bounces_day, bounces_7d, bounces_30d, total_daily_limit)
select id, current_date - 1, 'Google', null, 2, 2, 0, 0, 20, 140, 600, 1, 7, 30, 0, 0, 0, 60
from public.bison_connections where name like 'rls-%';
insert into public.mailbox_tag_mappings (tag_name, provider) values ('rls-visibility', 'Google');
-- Broadcasts on workspace topics (one of a workspace that does not exist), on the admins' topic,
-- on a topic of no workspace, and a presence message.
insert into realtime.messages (topic, extension, event, payload, private)
values ('workspace:950101:metrics', 'broadcast', 'metrics_updated', '{}', true),
       ('workspace:950102:sync', 'broadcast', 'sync_started', '{}', true),
       ('workspace:950103:activity', 'broadcast', 'activity', '{}', true),
       ('workspace:999999999:metrics', 'broadcast', 'metrics_updated', '{}', true),
       ('health', 'broadcast', 'health_updated', '{}', true),
       ('elsewhere', 'broadcast', 'anything', '{}', true),
       ('workspace:950101:metrics', 'presence', 'join', '{}', true);

-- What is read: every table and view an API role may select from (the columns authenticated
-- may select), and the read model's function for each workspace.
create temp table reads on commit drop as
select format('select %s from %s',
              string_agg(quote_ident(a.attname), ', ' order by a.attnum), c.oid::regclass)
         as query,
       c.oid::regclass::text as relation
from pg_catalog.pg_class c
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace,
                         'realtime'::regnamespace)
  and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition
  and (has_any_column_privilege('anon', c.oid, 'select')
       or has_any_column_privilege('authenticated', c.oid, 'select'))
  and has_column_privilege('authenticated', c.oid, a.attnum, 'select')
group by c.oid
union all
select format('select * from public.workspace_daily_series(%s, 7)', id), null
from fixture_workspaces;

-- The rows a query shows the current role (a count and a digest), or the error it raises.
create function pg_temp.seen(query text) returns text language plpgsql as $$
declare
  result text;
begin
  execute format(
    'select count(*) || '' rows '' || md5(coalesce(string_agg(r::text, '','' order by r::text), '''')) '
    'from (%s) r', query) into result;
  return result;
exception when others then
  return 'error ' || sqlstate;
end;
$$;

create temp table seen_as (phase text, persona text, query text, seen text) on commit drop;
create function pg_temp.read_everything_as_everyone(phase text) returns void language plpgsql as $$
declare
  persona record;
  queries text[] := array(select r.query from reads r order by r.query);
  results text[];
begin
  for persona in
    select * from (values ('anon', null), ('service_role', null),
                          ('member', tests.user_id('rls-member@example.test')),
                          ('outsider', tests.user_id('rls-outsider@example.test')),
                          ('nobody', tests.user_id('rls-nobody@example.test')),
                          ('admin', tests.user_id('rls-admin@example.test'))) p(name, user_id)
  loop
    case persona.name
      when 'anon' then perform tests.authenticate_as_anon();
      when 'service_role' then perform tests.authenticate_as_service_role();
      else perform tests.authenticate_as(persona.user_id);
    end case;
    results := array(select pg_temp.seen(q) from unnest(queries) with ordinality u(q, n) order by n);
    perform tests.clear_authentication();
    insert into seen_as
    select phase, persona.name, u.query, u.seen from unnest(queries, results) u(query, seen);
  end loop;
end;
$$;
grant execute on function pg_temp.seen(text) to anon, authenticated, service_role;

select pg_temp.read_everything_as_everyone('set-based');

-- Broadcast topics, as Realtime's join asks (the topic's message, as the user).
create function pg_temp.topics_seen(email text) returns text[] language plpgsql as $$
declare
  topics text[];
begin
  perform tests.authenticate_as(tests.user_id(email));
  topics := array(select distinct m.topic from realtime.messages m
                  where m.topic in ('workspace:950101:metrics', 'workspace:950102:sync',
                                    'workspace:999999999:metrics', 'health', 'elsewhere')
                  order by m.topic);
  perform tests.clear_authentication();
  return topics;
end;
$$;
select is(pg_temp.topics_seen('rls-member@example.test'), array['workspace:950101:metrics'],
  'a member receives their workspace''s broadcasts only');
select is(pg_temp.topics_seen('rls-admin@example.test'),
  array['elsewhere', 'health', 'workspace:950101:metrics', 'workspace:950102:sync',
        'workspace:999999999:metrics'],
  'an admin receives every broadcast topic, as before');

-- The per-row predicates as last released (20261202200800), under other names.
create function tests.released_is_workspace_member(target_workspace_id bigint)
returns boolean language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.workspace_members m
    where m.workspace_id = target_workspace_id and m.user_id = (select auth.uid())
  ) or private.is_agency_admin();
$$;
create function tests.released_is_connection_member(target_connection_id uuid)
returns boolean language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.workspace_members m
    join public.workspaces w on w.id = m.workspace_id
    where w.connection_id = target_connection_id and m.user_id = (select auth.uid())
  ) or private.is_agency_admin();
$$;
grant execute on function tests.released_is_workspace_member(bigint),
  tests.released_is_connection_member(uuid) to authenticated;

-- Each policy as released: its relation, name and per-row form.
create temp table per_row_policies (relation regclass, name text, qual text) on commit drop;
insert into per_row_policies
values
  ('public.workspaces'::regclass, 'members read their workspaces',
   '(select tests.released_is_workspace_member(id))'),
  ('public.bison_connections', 'members read the connections of their workspaces',
   '(select tests.released_is_connection_member(id))'),
  ('public.provider_performance_history', 'members read their connections'' provider performance',
   '(select tests.released_is_connection_member(connection_id))'),
  ('public.system_health',
   left('admins see every check, members their workspaces'' and connections'' checks', 63),
   '(select private.is_agency_admin()) or (select tests.released_is_workspace_member(workspace_id))'
   ' or (workspace_id is null'
   '     and (select tests.released_is_connection_member(connection_id)))'),
  ('realtime.messages', 'members receive their workspaces'' broadcasts',
   'extension = ''broadcast'' and (select tests.released_is_workspace_member('
   'private.workspace_id_from_topic(topic)))')
union all
select relation::regclass, 'members read their workspaces'' ' || what,
       '(select tests.released_is_workspace_member(workspace_id))'
from (values
  ('public.workspace_daily_metrics', 'daily metrics'),
  ('public.campaign_daily_metrics', 'campaign metrics'),
  ('public.campaigns', 'campaigns'),
  ('public.leads', 'leads'),
  ('public.replies', 'replies'),
  ('public.sender_emails', 'mailboxes'),
  ('public.sender_email_daily_snapshots', 'mailbox snapshots'),
  ('public.sender_email_sync_runs', 'sync runs'),
  ('public.bison_daily_stats', 'Bison stats'),
  ('public.insights', 'insights'),
  ('public.workspace_targets', 'targets'),
  ('public.workspace_milestones', 'milestones'),
  ('private.webhook_events', 'delivery statistics'),
  ('private.webhook_subscriptions', 'webhook subscription checks'),
  ('private.workspace_poll_state', 'poll state')) t(relation, what);

select is(
  (select count(*)::int from per_row_policies r
   join pg_catalog.pg_policy p on p.polrelid = r.relation and p.polname = r.name
   where pg_get_expr(p.polqual, p.polrelid) ~ 'private\.member_(workspace|connection)_ids\(\)'),
  20, 'each of the 20 policies that asked per row lists the caller''s workspaces once per query');

do $$
declare
  policy record;
begin
  for policy in select * from per_row_policies loop
    execute format('alter policy %I on %s using (%s)', policy.name, policy.relation, policy.qual);
  end loop;
end;
$$;

select pg_temp.read_everything_as_everyone('per-row');

select is_empty(
  $$select a.persona || ' ' || a.query || ': ' || a.seen || ' now, ' || b.seen || ' per row'
    from seen_as a join seen_as b using (persona, query)
    where a.phase = 'set-based' and b.phase = 'per-row' and a.seen is distinct from b.seen$$,
  'every role sees exactly what the per-row predicates showed it, in every table and view');

-- The comparison means something: every relation holds fixture rows, and the roles see
-- different things.
select is_empty(
  $$select coalesce(relation, query) from reads r
    where not exists (select 1 from seen_as s where s.query = r.query and s.seen ~ '^[1-9]')$$,
  'every table and view compared shows some role rows of the fixture');
select cmp_ok((select count(distinct query)::int from seen_as where phase = 'per-row'), '>=', 38,
  'every table and view an API role reads was compared (34, and the function for 4 workspaces)');

create function pg_temp.rows_seen(persona text, relation text) returns int language sql as $$
  select split_part(s.seen, ' ', 1)::int from seen_as s join reads r using (query)
  where s.phase = 'set-based' and s.persona = rows_seen.persona and r.relation = rows_seen.relation
    and s.seen like '% rows %';
$$;
select is(
  array[pg_temp.rows_seen('member', 'workspaces'), pg_temp.rows_seen('outsider', 'workspaces'),
        pg_temp.rows_seen('nobody', 'workspaces'), pg_temp.rows_seen('admin', 'workspaces')],
  array[1, 1, 0, (select count(*)::int from public.workspaces)],
  'a member sees their workspace, a user of none nothing, an admin every one');
select is(
  (select seen from seen_as s join reads r using (query)
   where s.phase = 'set-based' and s.persona = 'anon' and r.relation = 'workspaces'),
  'error 42501', 'anon reads no workspace');
select is(
  array[pg_temp.rows_seen('member', 'sender_emails'), pg_temp.rows_seen('admin', 'sender_emails')],
  array[1, (select count(*)::int from public.sender_emails)],
  'a member sees their mailbox; an admin every mailbox, those of no workspace too');
select is(
  array[pg_temp.rows_seen('member', 'bison_connections'),
        pg_temp.rows_seen('outsider', 'bison_connections'),
        pg_temp.rows_seen('admin', 'bison_connections')],
  array[1, 1, (select count(*)::int from public.bison_connections)],
  'a member sees the connection of their workspace; an admin every connection, even one without');
select is(
  array[pg_temp.rows_seen('member', 'system_health'), pg_temp.rows_seen('admin', 'system_health')],
  array[2, (select count(*)::int from public.system_health)],
  'a member sees their workspace''s check and their connection''s; an admin every check');

select * from finish();
rollback;
