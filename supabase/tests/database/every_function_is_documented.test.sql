-- House rule: every function the project defines has a fixed search_path and a comment stating
-- its contract.
begin;
select plan(2);

select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private')
    and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')
$$, 'every function sets search_path');

select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('public', 'private')
    and obj_description(p.oid, 'pg_proc') is null
$$, 'every function has a comment');

select * from finish();
rollback;
