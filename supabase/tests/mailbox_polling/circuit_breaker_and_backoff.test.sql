-- A connection whose instance leaves requests unanswered is left alone for a cool-down that
-- doubles each time it is still unreachable; then one slice probes it, and an answer closes the
-- breaker. A failing workspace backs off 1, 2, 4 ... minutes across runs, at most
-- mailbox_poll_max_backoff. Neither keeps another connection from being polled.
begin;
select plan(16);

select connection_id as dead, workspace_id as dead_ws from tests.create_polled_workspace('dead')
\gset
select connection_id as alive, workspace_id as alive_ws from tests.create_polled_workspace('alive')
\gset
insert into private.workspace_poll_state (workspace_id, next_poll_at, last_complete_sync_at)
values (:dead_ws, now() - interval '1 minute', null),
       (:alive_ws, now() - interval '1 minute', now() - interval '1 hour')
on conflict (workspace_id) do update
  set next_poll_at = excluded.next_poll_at, last_complete_sync_at = excluded.last_complete_sync_at;

create function pg_temp.lease(slice text) returns uuid
language sql set search_path = '' as $$
  select connection_id from private.claim_connection_for_polling(slice::uuid, 60);
$$;
create function pg_temp.release(slice text, conn uuid, answered int, unanswered int)
returns text language sql set search_path = '' as $$
  select private.release_connection_for_polling(slice::uuid, conn, answered, unanswered,
    'GET /api/sender-emails: no answer within 10000 ms');
$$;
create function pg_temp.cooldown_over(conn uuid) returns void
language sql set search_path = '' as $$
  update private.connection_poll_state set breaker_open_until = now() - interval '1 second'
  where connection_id = conn;
$$;

-- The dead instance's workspace has waited longer (never synced): its connection goes first.
select is(pg_temp.lease('00000000-0000-4000-8000-00000000000a'), :'dead'::uuid,
  'setup: a slice serves the dead instance');
select is(pg_temp.release('00000000-0000-4000-8000-00000000000a', :'dead', 0, 2), 'closed',
  'two unanswered requests in a row do not open the breaker yet (threshold 3)');
select is(pg_temp.lease('00000000-0000-4000-8000-00000000000b'), :'dead'::uuid,
  'setup: the next slice serves it again');
select is(pg_temp.release('00000000-0000-4000-8000-00000000000b', :'dead', 0, 1), 'open',
  'a third one in a row, across slices, opens it');
select ok((select breaker_open_until between now() + interval '59 seconds'
                                        and now() + interval '61 seconds'
           from private.connection_poll_state where connection_id = :'dead'),
  'for the first cool-down, a minute');
select is(pg_temp.lease('00000000-0000-4000-8000-00000000000c'), :'alive'::uuid,
  'meanwhile slices serve the other connection');
select is(pg_temp.lease('00000000-0000-4000-8000-00000000000d'), null,
  'and none serves the dead one');
select is(private.poll_work_remaining(), false,
  'nor does its due workspace count as work a slice could do now');

-- The cool-down is over: a probe; unanswered, the breaker opens again for twice as long.
select pg_temp.cooldown_over(:'dead');
select is((select half_open from private.claim_connection_for_polling(
            '00000000-0000-4000-8000-00000000000e', 60)), true,
  'after the cool-down a slice probes it (half open)');
select is(pg_temp.release('00000000-0000-4000-8000-00000000000e', :'dead', 0, 1), 'open',
  'one unanswered probe opens it again');
select ok((select breaker_open_until between now() + interval '119 seconds'
                                        and now() + interval '121 seconds'
           from private.connection_poll_state where connection_id = :'dead'),
  'for twice as long');

-- The instance answers again.
select pg_temp.cooldown_over(:'dead');
select is((select half_open from private.claim_connection_for_polling(
            '00000000-0000-4000-8000-00000000000f', 60)), true, 'setup: another probe');
select is(pg_temp.release('00000000-0000-4000-8000-00000000000f', :'dead', 3, 0), 'closed',
  'an answered probe closes the breaker');
select results_eq(
  $$select breaker_failures, breaker_opens, breaker_open_until from private.connection_poll_state
    where connection_id = '$$ || :'dead' || $$'$$,
  $$values (0, 0, null::timestamptz)$$, 'and forgets the cool-downs');

-- Per-workspace backoff across runs, capped.
update private.settings set value = '"5 minutes"' where key = 'mailbox_poll_max_backoff';
create temp table waits (attempt int, wait interval);
do $$
declare
  connection uuid := (select c.id from public.bison_connections c where c.name = 'dead');
  workspace bigint := (select w.id from public.workspaces w where w.connection_id = connection);
  claimed record;
begin
  for attempt in 1..4 loop
    update private.workspace_poll_state set next_poll_at = now() - interval '1 second',
      lease_owner = null, lease_expires_at = null
    where workspace_id = workspace;
    select * into claimed from private.claim_workspace_for_polling(gen_random_uuid(), 60,
                                                                   connection);
    perform private.finish_workspace_poll(claimed.sync_run_id, 0, 0, 0, 0, false,
                                          'credential problem: 401');
    insert into waits
    select attempt, date_trunc('second', s.next_poll_at - now() + interval '0.5 seconds')
    from private.workspace_poll_state s where s.workspace_id = workspace;
  end loop;
end
$$;
select results_eq('select wait from waits order by attempt',
  $$values (interval '1 minute'), (interval '2 minutes'), (interval '4 minutes'),
           (interval '5 minutes')$$,
  'each failure in a row doubles the wait, up to mailbox_poll_max_backoff');
select is((select consecutive_failures from private.workspace_poll_state
           where workspace_id = :dead_ws), 4, 'and the failures are counted for the health check');

select * from finish();
rollback;
