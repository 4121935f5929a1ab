-- pg_cron runs the job hourly at :05 UTC; private.provider_performance_due(as_of) picks the
-- connections whose local day has just ended and is not computed yet. Checked at given UTC
-- times across DST changes, half-hour offsets and a zone whose clocks skip local midnight, then
-- by simulating every hourly run over two DST seasons: each connection's every day is computed
-- exactly once, just after its local midnight.
begin;
select plan(17);

select results_eq(
  $$select schedule, command, username from cron.job
    where jobname = 'calculate-provider-performance'$$,
  $$values ('5 * * * *'::text,
    'select private.invoke_edge_function(''calculate-provider-performance'', ''{}''::jsonb, 120000)'::text,
    'postgres'::text)$$,
  'the job runs hourly at :05 UTC and calls the function as postgres');
select lives_ok($$select private.schedule_provider_performance()$$, 'rescheduling works');
select is((select count(*) from cron.job where jobname = 'calculate-provider-performance'),
  1::bigint, 'and leaves exactly one job');

insert into public.bison_connections (name, base_url, timezone) values
  ('pp-chicago', 'https://pp.example.test', 'America/Chicago'),
  ('pp-london', 'https://pp.example.test', 'Europe/London'),
  ('pp-kolkata', 'https://pp.example.test', 'Asia/Kolkata'),
  ('pp-havana', 'https://pp.example.test', 'America/Havana'),
  ('pp-auckland', 'https://pp.example.test', 'Pacific/Auckland'),
  ('pp-utc', 'https://pp.example.test', 'UTC');

-- Which of our connections are due at a UTC instant, as "name day"; and one connection's day.
create function pg_temp.due_at(as_of timestamptz) returns text language sql as $$
  select coalesce(string_agg(c.name || ' ' || d.day, ', ' order by c.name), '')
  from private.provider_performance_due(as_of) d
  join public.bison_connections c on c.id = d.connection_id
  where c.name like 'pp-%';
$$;
create function pg_temp.due_day(connection_name text, as_of timestamptz) returns date
language sql as $$
  select d.day from private.provider_performance_due(as_of) d
  join public.bison_connections c on c.id = d.connection_id
  where c.name = connection_name;
$$;
create function pg_temp.computed(connection_name text, computed_day date) returns void
language sql as $$
  insert into private.provider_performance_runs (connection_id, day, snapshots_taken, rows_written)
  select id, computed_day, 0, 0 from public.bison_connections where name = connection_name;
$$;

-- Chicago's local 00:05 is 06:05 UTC in winter (CST) and 05:05 UTC in summer (CDT).
select is(pg_temp.due_day('pp-chicago', '2024-01-15 06:05+00'), '2024-01-14'::date,
  'winter: Chicago is due at 06:05 UTC (00:05 CST) for the 14th');
select is(pg_temp.due_day('pp-chicago', '2024-01-15 05:05+00'), null,
  'winter: not at 05:05 UTC (23:05 CST)');
select is(pg_temp.due_day('pp-chicago', '2024-07-15 05:05+00'), '2024-07-14'::date,
  'summer: Chicago is due at 05:05 UTC (00:05 CDT): DST does not move it');
select is(pg_temp.due_day('pp-chicago', '2024-07-15 04:05+00'), null,
  'summer: not at 04:05 UTC (23:05 CDT)');
-- Kolkata is UTC+05:30: the :05 UTC run is at :35 local.
select is(pg_temp.due_day('pp-kolkata', '2024-01-14 19:05+00'), '2024-01-14'::date,
  'Kolkata is due at 19:05 UTC (00:35 IST)');
select is(pg_temp.due_at('2024-01-14 00:05+00'), 'pp-london 2024-01-13, pp-utc 2024-01-13',
  'at 00:05 UTC in winter exactly London (GMT) and UTC are due');

-- Computed once, not again: Chicago's 14 July, done at 00:05 CDT, is not due at 01:05 or 02:05.
select pg_temp.computed('pp-chicago', '2024-07-14');
select is(coalesce(pg_temp.due_day('pp-chicago', '2024-07-15 06:05+00'),
                   pg_temp.due_day('pp-chicago', '2024-07-15 07:05+00')), null,
  'a computed day is not computed again by the next hourly runs');
-- A run that failed (nothing recorded) is caught up by the next ones, until 03:00 local.
select is(pg_temp.due_day('pp-chicago', '2024-07-16 06:05+00'), '2024-07-15'::date,
  'the 01:05 CDT run catches up a day the 00:05 run did not compute');
select is(pg_temp.due_day('pp-chicago', '2024-07-16 08:05+00'), null,
  '...but the 03:05 run does not: sending may have started');

-- London leaves BST on 27 October 2024 at 01:00 UTC: 01:xx local happens twice.
select is(pg_temp.due_day('pp-london', '2024-10-26 23:05+00'), '2024-10-26'::date,
  'London is due at 23:05 UTC (00:05 BST on the 27th)');
select pg_temp.computed('pp-london', '2024-10-26');
select is(coalesce(pg_temp.due_day('pp-london', '2024-10-27 00:05+00'),
                   pg_temp.due_day('pp-london', '2024-10-27 01:05+00')), null,
  'the repeated 01:05 (BST, then GMT) does not compute the day twice');
-- Havana moves to summer time at midnight: 10 March 2024 has no 00:xx at all.
select is(pg_temp.due_day('pp-havana', '2024-03-10 05:05+00'), '2024-03-09'::date,
  'Havana''s skipped midnight: computed at 01:05 CDT instead of never');

-- Every hourly run from 29 February to 15 April and 19 October to 15 November 2024, as pg_cron
-- would make them, each computing what is due at that moment. Both start at 16:05 UTC, when
-- none of these zones is in its first hours after midnight.
delete from private.provider_performance_runs
where connection_id in (select id from public.bison_connections where name like 'pp-%');
do $$
declare
  run_at timestamptz;
begin
  for run_at in
    select t from generate_series('2024-02-29 16:05+00'::timestamptz, '2024-04-15 23:05+00',
                                  interval '1 hour') t
    union all
    select t from generate_series('2024-10-19 16:05+00'::timestamptz, '2024-11-15 23:05+00',
                                  interval '1 hour') t
    order by 1
  loop
    insert into private.provider_performance_runs (connection_id, day, snapshots_taken,
                                                   rows_written, computed_at)
    select d.connection_id, d.day, 0, 0, run_at
    from private.provider_performance_due(run_at) d
    join public.bison_connections c on c.id = d.connection_id
    where c.name like 'pp-%';
  end loop;
end
$$;
select is_empty($$
  select c.name, d.day::date
  from public.bison_connections c
  cross join generate_series('2024-03-02'::date, '2024-04-14', interval '1 day') d(day)
  where c.name like 'pp-%'
    and not exists (select 1 from private.provider_performance_runs r
                    where r.connection_id = c.id and r.day = d.day::date)
  union all
  select c.name, d.day::date
  from public.bison_connections c
  cross join generate_series('2024-10-21'::date, '2024-11-14', interval '1 day') d(day)
  where c.name like 'pp-%'
    and not exists (select 1 from private.provider_performance_runs r
                    where r.connection_id = c.id and r.day = d.day::date)
$$, 'every connection''s every day is computed (the runs table allows each only once)');
select results_eq($$
  select c.name, r.day, (r.computed_at at time zone c.timezone)::time
  from private.provider_performance_runs r
  join public.bison_connections c on c.id = r.connection_id
  where c.name like 'pp-%'
    and ((r.computed_at at time zone c.timezone)::date <> r.day + 1
         or (r.computed_at at time zone c.timezone)::time >= time '01:00')
$$, $$values ('pp-havana'::text, '2024-03-09'::date, '01:05'::time)$$,
  'each day is computed within the first hour after its local midnight, except where that '
  'hour did not exist');

select * from finish();
rollback;
