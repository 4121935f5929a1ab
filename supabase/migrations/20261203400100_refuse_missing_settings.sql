-- Thresholds live only in private.settings. The two getters used to fall back to a default the
-- caller passed, so 26 calls in 13 functions carried a second copy of a threshold that took over,
-- silently, whenever its setting was missing. A missing setting is now an error that names it;
-- the fallback argument of the old two-argument form is no longer used, and new code calls the
-- one-argument form. Every setting a function reads is seeded by the migration that introduced
-- it; this one stops, changing nothing, if a database lacks any of them.
do $$
declare
  missing text;
begin
  select string_agg(distinct m[1], ', ' order by m[1]) into missing
  from pg_catalog.pg_proc p
  cross join lateral regexp_matches(p.prosrc, '\msetting(?:_numeric|_interval)?\(\s*''([^'']+)''', 'g') m
  where p.pronamespace = 'private'::regnamespace
    and not exists (select 1 from private.settings s where s.key = m[1]);
  if missing is not null then
    raise exception 'private.settings lacks % (read by SQL functions)', missing
      using errcode = '55000',
            hint = 'Insert each with its documented value (docs/metrics.md), then migrate again.';
  end if;
end;
$$;

-- The one reading of a setting: its stored value, or an error naming it.
create or replace function private.setting(setting_key text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  stored jsonb;
begin
  select s.value into stored from private.settings s where s.key = setting_key;
  if not found then
    raise exception 'setting % is missing from private.settings', setting_key
      using errcode = '55000', hint = 'Thresholds live only there: insert it (docs/metrics.md).';
  end if;
  return stored;
end;
$$;
comment on function private.setting(text) is
  'The stored value of a setting of private.settings; raises 55000 naming it when it is missing.';

create or replace function private.setting_numeric(setting_key text)
returns numeric
language sql
stable
set search_path = ''
as $$
  select (private.setting(setting_key) #>> '{}')::numeric;
$$;
comment on function private.setting_numeric(text) is
  'A numeric setting from private.settings; raises 55000 naming it when it is missing.';

create or replace function private.setting_interval(setting_key text)
returns interval
language sql
stable
set search_path = ''
as $$
  select (private.setting(setting_key) #>> '{}')::interval;
$$;
comment on function private.setting_interval(text) is
  'An interval setting from private.settings; raises 55000 naming it when it is missing.';

-- The released two-argument forms, still called by released function bodies: the same reading.
create or replace function private.setting_numeric(setting_key text, fallback numeric)
returns numeric
language sql
stable
set search_path = ''
as $$
  select private.setting_numeric(setting_key);
$$;
comment on function private.setting_numeric(text, numeric) is
  'Kept for released callers: private.setting_numeric(setting_key); fallback is ignored, a missing '
  'setting raises 55000.';

create or replace function private.setting_interval(setting_key text, fallback interval)
returns interval
language sql
stable
set search_path = ''
as $$
  select private.setting_interval(setting_key);
$$;
comment on function private.setting_interval(text, interval) is
  'Kept for released callers: private.setting_interval(setting_key); fallback is ignored, a missing '
  'setting raises 55000.';
