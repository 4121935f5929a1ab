-- Every PL/pgSQL function of the project passes plpgsql_check: no reference to a missing column,
-- table or variable hides until the day the function runs.
begin;
select plan(1);

select is_empty($$
  select p.oid::regprocedure::text || ': ' || c.message
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  join pg_catalog.pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
  cross join lateral extensions.plpgsql_check_function_tb(p.oid) c
  where n.nspname in ('public', 'private')
    and p.prorettype <> 'pg_catalog.trigger'::regtype
    and c.level = 'error'
$$, 'no plpgsql_check errors in public and private functions');

select * from finish();
rollback;
