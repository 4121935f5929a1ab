-- Who may see a workspace has one definition: an agency admin (private.is_agency_admin) every
-- row, anyone else the workspaces they are a member of (private.member_workspace_ids) and those
-- workspaces' connections (private.member_connection_ids). The definitions answer for the
-- caller; no other function, view or policy reads memberships or admins for the caller, and a
-- policy that asks for the members' workspaces asks for the admins too. Probes (rolled back)
-- prove that the checks find a second definition.
begin;
select plan(9);

select tests.create_workspaces_and_people('visibility', 960101, 960102);
insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-0000000e6101', 'visibility-two', 'https://v2.example.test', 'UTC');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values (960103, '00000000-0000-4000-8000-0000000e6101', 1, 'Third');
insert into public.workspace_members (user_id, workspace_id)
values (tests.user_id('member@example.test'), 960103);

select tests.authenticate_as(tests.user_id('member@example.test'));
select is(private.member_workspace_ids(), array[960101, 960103]::bigint[],
  'a member''s workspaces are those they are a member of');
select is(
  (select array_agg(c order by c) from unnest(private.member_connection_ids()) c),
  (select array_agg(distinct connection_id order by connection_id) from public.workspaces
   where id in (960101, 960103)),
  'and their connections those of their workspaces');
select is(private.is_agency_admin(), false, 'a member is no agency admin');
select tests.clear_authentication();
select tests.authenticate_as(tests.user_id('admin@example.test'));
select is(array[private.is_agency_admin()::text, private.member_workspace_ids()::text],
  array['true', '{}'], 'an agency admin is one, and a member of nothing');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$select private.member_workspace_ids()$$, '42501', null,
  'anon cannot ask');
select tests.clear_authentication();

-- Probes: a function and a policy that decide visibility a second time, and a policy that asks
-- for the members' workspaces without the admins.
create function private.visibility_probe_reads_memberships() returns bigint[]
language sql stable set search_path = '' as $$
  select array(select workspace_id from public.workspace_members
               where user_id = (select auth.uid()));
$$;
create table public.visibility_probe (workspace_id bigint);
alter table public.visibility_probe enable row level security;
create policy "probe reads memberships" on public.visibility_probe for select to authenticated
  using (workspace_id in (select m.workspace_id from public.workspace_members m
                          where m.user_id = (select auth.uid())));
create policy "probe forgets admins" on public.visibility_probe for select to authenticated
  using (workspace_id = any ((select private.member_workspace_ids())::bigint[]));

-- Functions that read memberships or admins for the caller (their bodies name the table and
-- auth.uid()), and views and policies that read those tables at all (their dependencies; a
-- policy on the table itself excepted).
create function pg_temp.readers_of(target regclass) returns text[] language sql as $$
  select coalesce(array_agg(name order by name), '{}') from (
    select p.oid::regprocedure::text as name
    from pg_catalog.pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and p.prosrc ~* ('\m' || (select relname from pg_catalog.pg_class where oid = target) || '\M')
      and p.prosrc ~* 'auth\.uid\(\)'
    union
    select case d.classid
             when 'pg_catalog.pg_rewrite'::regclass then
               'view ' || (select r.ev_class::regclass::text from pg_catalog.pg_rewrite r
                           where r.oid = d.objid)
             else (select format('policy %s "%s"', p.polrelid::regclass, p.polname)
                   from pg_catalog.pg_policy p where p.oid = d.objid and p.polrelid <> target)
           end
    from pg_catalog.pg_depend d
    where d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid = target
      and d.classid in ('pg_catalog.pg_rewrite'::regclass, 'pg_catalog.pg_policy'::regclass)
  ) readers
  where name is not null and name not like 'view ' || target::text;
$$;

select is(
  pg_temp.readers_of('public.workspace_members'),
  array['policy visibility_probe "probe reads memberships"',
        'private.member_workspace_ids()', 'private.visibility_probe_reads_memberships()'],
  'only private.member_workspace_ids reads the caller''s memberships (the probes are found)');
select is(
  pg_temp.readers_of('public.agency_admins'), array['private.is_agency_admin()'],
  'only private.is_agency_admin says who is an agency admin');

-- Every policy that asks for the members' workspaces or connections, and whether it asks for
-- the admins in the same breath.
create temp table member_policies on commit drop as
select format('policy %s "%s"', p.polrelid::regclass, p.polname) as name,
       pg_get_expr(p.polqual, p.polrelid)
         ~ '\( SELECT private\.is_agency_admin\(\) AS is_agency_admin\) OR ' as with_admins
from pg_catalog.pg_policy p
where pg_get_expr(p.polqual, p.polrelid) ~ 'private\.member_(workspace|connection)_ids\(\)';

select is(
  array(select name from member_policies where not with_admins order by name),
  array['policy visibility_probe "probe forgets admins"'],
  'every policy that asks for the members'' workspaces asks for the admins too (the probe is found)');
select cmp_ok((select count(*)::int from member_policies), '>=', 21,
  'the policies of every workspace''s rows ask the definitions (20 and the probe)');

select * from finish();
rollback;
