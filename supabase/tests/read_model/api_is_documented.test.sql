-- What the Data API exposes is documented where docs/data-model.md and the generated types read
-- it: every table and view of public has a comment, and so does every one of their columns; and
-- every view runs as its caller, so that row level security decides what it shows.
begin;
select plan(3);

select is(
  array(select c.relname::text from pg_catalog.pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and obj_description(c.oid, 'pg_class') is null
        order by 1),
  array[]::text[], 'every table and view of public has a comment');

select is(
  array(select c.relname || '.' || a.attname from pg_catalog.pg_class c
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0
          and not a.attisdropped
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and col_description(c.oid, a.attnum) is null
        order by 1),
  array[]::text[], 'every column of a table or view of public has a comment');

select is(
  array(select c.relname::text from pg_catalog.pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'
          and not coalesce('security_invoker=true' = any (c.reloptions), false)
        order by 1),
  array[]::text[], 'every view of public is security_invoker');

select * from finish();
rollback;
