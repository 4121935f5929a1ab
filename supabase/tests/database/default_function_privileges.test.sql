-- After the first migration, a new function in public is executable by nobody behind the API
-- until a migration grants it on purpose.
begin;
select plan(3);

create function public.pgtap_probe() returns int language sql set search_path = '' as 'select 1';

select ok(not has_function_privilege('anon', 'public.pgtap_probe()', 'execute'),
  'anon cannot execute a new function');
select ok(not has_function_privilege('authenticated', 'public.pgtap_probe()', 'execute'),
  'authenticated cannot execute a new function');
create role pgtap_nobody nologin;
select ok(not has_function_privilege('pgtap_nobody', 'public.pgtap_probe()', 'execute'),
  'PUBLIC (any other role) cannot execute a new function');

select * from finish();
rollback;
