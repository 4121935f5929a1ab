-- Thresholds live only in private.settings: every setting a function or view reads exists there,
-- and a missing one is an error naming it rather than a default copied into the caller (the
-- fallback argument of the released two-argument getters is ignored).
begin;
select plan(7);

create function pg_temp.settings_read() returns table (reader text, key text)
language sql as $$
  select b.name, m[1]
  from (
    select p.oid::regprocedure::text as name, p.prosrc as body from pg_catalog.pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    union all
    select format('view %I.%I', v.schemaname, v.viewname), v.definition from pg_catalog.pg_views v
    where v.schemaname in ('public', 'private')
  ) b
  cross join lateral regexp_matches(b.body,
    '(?:\msetting(?:_numeric|_interval)?\s*\(\s*''([^'']+)''|private\.settings\s+(?:\w+\s+)?where\s+(?:\w+\.)?key\s*=\s*''([^'']+)'')',
    'g') r
  cross join lateral (select array[coalesce(r[1], r[2])]) m(m);
$$;

select cmp_ok((select count(distinct key)::int from pg_temp.settings_read()), '>=', 30,
  'the settings read by functions are found (a getter call or a read of private.settings)');
select is(
  (select array_agg(distinct format('%s reads %s', reader, key))
   from pg_temp.settings_read() r
   where not exists (select 1 from private.settings s where s.key = r.key)),
  null, 'every setting a function reads exists in private.settings');

create function private.fixer_probe_reads_settings() returns numeric language sql stable
set search_path = '' as $$
  select private.setting_numeric('fixer_probe_unseeded', 5)
       + (select (s.value #>> '{}')::numeric from private.settings s
          where s.key = 'fixer_probe_unseeded_too');
$$;
select is(
  (select array_agg(key order by key) from pg_temp.settings_read()
   where reader = 'private.fixer_probe_reads_settings()'),
  array['fixer_probe_unseeded', 'fixer_probe_unseeded_too'],
  'a probe reading two settings that do not exist is caught');

select throws_ok($$select private.setting_numeric('fixer_probe_unseeded', 5)$$, '55000',
  'setting fixer_probe_unseeded is missing from private.settings',
  'a missing numeric setting is an error, whatever fallback the caller passes');
select throws_ok($$select private.setting_interval('fixer_probe_unseeded', interval '1 hour')$$,
  '55000', 'setting fixer_probe_unseeded is missing from private.settings',
  'so is a missing interval setting');

delete from private.settings where key = 'silence_window';
select throws_ok($$select private.run_health_checks(now())$$, '55000',
  'setting silence_window is missing from private.settings',
  'a health run missing one of its thresholds says which, instead of using a copy of its own');
select is(private.setting_numeric('drift_tolerance_pct', 999),
  (select (value #>> '{}')::numeric from private.settings where key = 'drift_tolerance_pct'),
  'a setting that exists is read as stored');

select * from finish();
rollback;
