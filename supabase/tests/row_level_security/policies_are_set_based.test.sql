-- No policy asks a question once per row that it could ask once per query. Every policy in the
-- database is read from pg_policy: a function it calls that reads data (not immutable) takes no
-- argument and is called inside `(select ...)`, so the planner runs it once (an InitPlan), and
-- reading any table with policies as a signed-in user plans no SubPlan run per row (a hashed
-- one, run once, is fine). Probes (policies written the per-row ways, rolled back) prove that
-- both checks catch them.
begin;
select plan(4);

-- The probes: a per-row membership question, asked wrapped, bare, and an unwrapped admin check.
create function private.rls_probe_member(target_workspace_id bigint) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.workspace_members m
                 where m.workspace_id = target_workspace_id and m.user_id = (select auth.uid()));
$$;
grant execute on function private.rls_probe_member(bigint) to authenticated;
create table public.rls_probe_wrapped (workspace_id bigint);
create table public.rls_probe_bare (workspace_id bigint);
create table public.rls_probe_unwrapped_admin (workspace_id bigint);
alter table public.rls_probe_wrapped enable row level security;
alter table public.rls_probe_bare enable row level security;
alter table public.rls_probe_unwrapped_admin enable row level security;
grant select on public.rls_probe_wrapped, public.rls_probe_bare, public.rls_probe_unwrapped_admin
  to authenticated;
create policy "probe" on public.rls_probe_wrapped for select to authenticated
  using ((select private.rls_probe_member(workspace_id)));
create policy "probe" on public.rls_probe_bare for select to authenticated
  using (private.rls_probe_member(workspace_id));
create policy "probe" on public.rls_probe_unwrapped_admin for select to authenticated
  using (private.is_agency_admin());

-- Each policy's expressions, and the functions they call that are not immutable.
create temp table policy_calls on commit drop as
select p.polrelid::regclass::text || ' "' || p.polname || '"' as policy,
       f.oid as function, f.proname as name, f.pronargs as arguments,
       coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
         || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as expressions
from pg_catalog.pg_policy p
join pg_catalog.pg_depend d
  on d.classid = 'pg_catalog.pg_policy'::regclass and d.objid = p.oid
 and d.refclassid = 'pg_catalog.pg_proc'::regclass
join pg_catalog.pg_proc f on f.oid = d.refobjid
where f.provolatile <> 'i';

-- A call per row: with arguments, or not every call inside its own `(select f() as ...)`.
create temp view per_row_calls as
select policy || ': ' || function::regproc::text as found
from policy_calls
where arguments > 0
   or (select count(*) from regexp_matches(expressions, '\m' || name || '\(', 'g'))
      <> (select count(*)
          from regexp_matches(expressions, '\( SELECT ([\w.]+\.)?' || name || '\(\) AS ', 'g'));

select is(
  array(select found from per_row_calls where found like '%rls_probe%' order by found),
  array['rls_probe_bare "probe": private.rls_probe_member',
        'rls_probe_unwrapped_admin "probe": private.is_agency_admin',
        'rls_probe_wrapped "probe": private.rls_probe_member'],
  'a policy calling a function with a row''s value, or a function outside (select ...), is found');
select is_empty(
  $$select found from per_row_calls where found not like '%rls_probe%'$$,
  'every policy calls its functions once per query: without arguments, inside (select ...)');

-- The plan of reading each table that has a policy for signed-in users, as one of them.
create temp table policy_tables on commit drop as
select c.oid::regclass as relation,
       format('select %s from %s',
              (select string_agg(quote_ident(a.attname), ', ' order by a.attnum)
               from pg_catalog.pg_attribute a
               where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 and has_column_privilege('authenticated', c.oid, a.attnum, 'select')),
              c.oid::regclass) as query
from pg_catalog.pg_class c
where c.relrowsecurity
  and exists (select 1 from pg_catalog.pg_policy p
              where p.polrelid = c.oid and p.polcmd in ('r', '*')
                and (0 = any (p.polroles) or 'authenticated'::regrole = any (p.polroles)))
  and has_schema_privilege('authenticated', c.relnamespace, 'usage')
  and has_any_column_privilege('authenticated', c.oid, 'select');
grant select on policy_tables to authenticated;

create function pg_temp.per_row_subplans(query text) returns text[] language plpgsql as $$
declare
  plan jsonb;
begin
  execute 'explain (format json) ' || query into plan;
  return array(
    select distinct node ->> 'Subplan Name'
    from jsonb_path_query(plan, 'lax $.** ? (@."Parent Relationship" == "SubPlan")') node
    where node ->> 'Subplan Name' not like 'hashed %');
end;
$$;
grant execute on function pg_temp.per_row_subplans(text) to authenticated;

select tests.authenticate_as(tests.create_user('rls-planner@example.test'));
create temp table planned on commit drop as
select relation::text, pg_temp.per_row_subplans(query) as subplans from policy_tables;
select tests.clear_authentication();

select is(
  array(select relation from planned where relation like 'rls_probe%' and subplans <> '{}'
        order by relation),
  array['rls_probe_wrapped'],
  'reading a table whose policy asks a subquery per row plans a SubPlan, and is found');
select is_empty(
  $$select relation || ': ' || array_to_string(subplans, ', ') from planned
    where relation not like 'rls_probe%' and subplans <> '{}'$$,
  'no table with policies plans a SubPlan per row for a signed-in reader');

select * from finish();
rollback;
