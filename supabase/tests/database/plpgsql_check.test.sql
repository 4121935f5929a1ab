-- Every PL/pgSQL function of the project passes plpgsql_check: no reference to a missing column,
-- table or variable hides until the day the function runs.
begin;
select plan(2);

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

-- A trigger function is checked against each table it is attached to (its new and old rows).
select is_empty($$
  select p.oid::regprocedure::text || ' on ' || t.tgrelid::regclass::text || ': ' || c.message
  from pg_catalog.pg_trigger t
  join pg_catalog.pg_proc p on p.oid = t.tgfoid
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  join pg_catalog.pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
  cross join lateral extensions.plpgsql_check_function_tb(p.oid, t.tgrelid) c
  where n.nspname in ('public', 'private')
    and not t.tgisinternal
    and c.level = 'error'
$$, 'no plpgsql_check errors in trigger functions, on each table they serve');

select * from finish();
rollback;
