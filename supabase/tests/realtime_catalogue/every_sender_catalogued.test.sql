-- The catalogue of broadcasts (private.realtime_broadcasts) is the documentation of every topic
-- and event: every function that sends a broadcast must be one of its senders, every sender it
-- names must exist and send that event on that topic, and every topic must be receivable by
-- someone (a policy on realtime.messages).
begin;
select plan(5);

create temp table senders on commit drop as
select p.oid::regprocedure::text as sender, lower(p.prosrc) as body
from pg_catalog.pg_proc p
where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
  and p.prosrc ~* '\mrealtime\s*\.\s*(send|broadcast_changes)\s*\(';

create temp table catalogued on commit drop as
select b.topic, b.event, unnest(b.sent_by) as sender from private.realtime_broadcasts b;

select is(
  array(select s.sender from senders s
        where not exists (select 1 from catalogued c where c.sender = s.sender) order by 1),
  array[]::text[], 'every function that sends a broadcast is a catalogued sender');

select is(
  array(select c.sender from catalogued c
        where c.sender like '%(%' and not exists (select 1 from senders s where s.sender = c.sender)
        order by 1),
  array[]::text[], 'every catalogued sender function exists and sends broadcasts');

-- The event's name and the topic's fixed parts appear in the sender's body.
select is(
  array(select c.sender || ' ' || c.topic || ' ' || c.event
        from catalogued c join senders s using (sender)
        where position('''' || c.event || '''' in s.body) = 0
           or exists (select 1 from regexp_split_to_table(c.topic, '<[a-z_]+>') part
                      where part <> '' and position(part in s.body) = 0)
        order by 1),
  array[]::text[], 'each catalogued function names its event and its topic''s fixed parts');

-- Any other sender is a file of the repository (checked by the Deno tests).
select is(
  array(select c.sender from catalogued c
        where c.sender not like '%(%' and c.sender !~ '^supabase/functions/[a-z0-9_/-]+\.ts$'
        order by 1),
  array[]::text[], 'senders that are not functions are function source files');

-- A private topic nobody may read would be a broadcast nobody receives: as a member of
-- workspace 1 and as an agency admin, every catalogued topic is readable.
insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000b801', 'catalogue', 'https://cat.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values (901801, '00000000-0000-4000-8000-00000000b801', 1);
insert into public.agency_admins (user_id) values (tests.create_user('catalogue-admin@example.test'));
create temp table topics on commit drop as
select distinct replace(b.topic, '<workspace_id>', '901801') as topic, b.is_private
from private.realtime_broadcasts b;
grant select on topics to authenticated;
insert into realtime.messages (topic, extension, event, payload, private)
select t.topic, 'broadcast', 'probe', '{}', t.is_private from topics t;
select tests.authenticate_as(tests.user_id('catalogue-admin@example.test'));
select is(
  array(select t.topic from topics t except select m.topic from realtime.messages m order by 1),
  array[]::text[], 'an agency admin may receive every catalogued topic');
select tests.clear_authentication();

select * from finish();
rollback;
