-- webhook_event_storage warns before ingest runs out of daily partitions; bison_instance says
-- when polling leaves an unreachable instance alone.
begin;
select plan(6);

create function pg_temp.finding(check_name text, at timestamptz)
returns table (status text, message text)
language sql set search_path = '' as $$
  select r.status, r.message from private.evaluate_health_checks(at) r
  where r.check_name = finding.check_name;
$$;

select is((select status from pg_temp.finding('webhook_event_storage', now())), 'healthy',
  'a week of partitions ahead is healthy');
select is((select status from pg_temp.finding('webhook_event_storage',
                                              now() + interval '6 days 12 hours')), 'degraded',
  'under two days ahead is degraded');
select is((select status from pg_temp.finding('webhook_event_storage', now() + interval '30 days')),
  'down', 'no partition for now is down');
select matches((select message from pg_temp.finding('webhook_event_storage',
                                                    now() + interval '30 days')),
  'maintain-webhook-events', 'and says which job keeps them');

select connection_id as conn from tests.create_polled_workspace('unreachable') \gset
insert into private.connection_poll_state (connection_id, breaker_opens, breaker_open_until,
                                           breaker_error)
values (:'conn', 2, now() + interval '2 minutes',
        'GET /api/sender-emails: no answer within 10000 ms');
select results_eq(
  format($$select status, value from private.evaluate_health_checks(now())
           where check_name = 'bison_instance' and connection_id = %L$$, :'conn'),
  $$values ('down'::text, 2::numeric)$$,
  'an instance polling leaves alone is down, with its cool-downs in a row');
update private.connection_poll_state set breaker_open_until = null, breaker_opens = 0
where connection_id = :'conn';
select is(
  (select status from private.evaluate_health_checks(now())
   where check_name = 'bison_instance' and connection_id = :'conn'),
  'healthy', 'and healthy once it answers again');

select * from finish();
rollback;
