-- A connection's request budget (private.bison_requests_per_minute, 2,500 a minute by default)
-- was kept per process: two function instances polling at once, plus the CLI, could each spend
-- all of it. The budget is now one row per connection, a token bucket that refills at the
-- budget's rate and holds at most a second's worth (at least one slot). Every Bison client claims
-- request slots from it a few at a time (supabase/functions/_shared/request-budget.ts), so the
-- budget holds across every process and costs a round trip per batch, not per request.
create table private.bison_request_budgets (
  connection_id uuid primary key references public.bison_connections (id) on delete cascade,
  tokens numeric not null,
  refilled_at timestamptz not null
);
comment on table private.bison_request_budgets is
  'The request budget each connection''s Bison clients share (a token bucket): slots left and '
  'when they were last refilled. Written only by private.claim_bison_requests.';
alter table private.bison_request_budgets enable row level security;
revoke all on private.bison_request_budgets from public, anon, authenticated, service_role;

create or replace function private.claim_bison_requests(target_connection_id uuid, wanted integer)
returns table (granted integer, retry_after_ms integer)
language plpgsql
set search_path = ''
as $$
declare
  per_second numeric;
  capacity numeric;
  claimed_at timestamptz := clock_timestamp();
  available numeric;
begin
  if wanted is null or wanted not between 1 and 100 then
    raise exception 'wanted must be between 1 and 100 request slots, got %',
      coalesce(wanted::text, 'null') using errcode = '22023';
  end if;
  if not exists (select 1 from public.bison_connections c where c.id = target_connection_id) then
    raise exception 'no connection with id %', coalesce(target_connection_id::text, '<null>')
      using errcode = 'P0002';
  end if;
  per_second := private.bison_requests_per_minute(target_connection_id) / 60.0;
  -- A second's worth may go at once, as the budget always allowed, so a rolling minute may see
  -- the minute's budget plus that second (2,541 of 2,500 at the busiest minute of scale.ts --scale 10).
  capacity := greatest(per_second, 1);

  insert into private.bison_request_budgets (connection_id, tokens, refilled_at)
  values (target_connection_id, capacity, claimed_at)
  on conflict (connection_id) do nothing;
  select least(capacity,
               b.tokens + greatest(0, extract(epoch from claimed_at - b.refilled_at)) * per_second)
  into available
  from private.bison_request_budgets b
  where b.connection_id = target_connection_id
  for update;

  granted := least(wanted, floor(available))::integer;
  update private.bison_request_budgets b
  set tokens = available - granted, refilled_at = claimed_at
  where b.connection_id = target_connection_id;
  retry_after_ms := case when granted > 0 then 0
                         else ceil((1 - available) / per_second * 1000)::integer end;
  return next;
end;
$$;
comment on function private.claim_bison_requests(uuid, integer) is
  'Takes up to wanted (1-100) request slots from the connection''s shared budget (refilled at '
  'private.bison_requests_per_minute, holding at most a second''s worth) and returns '
  'how many it granted; with none, retry_after_ms says when the next one is free. Atomic per '
  'connection (a row lock). 22023 on a bad count, P0002 for an unknown connection. For the '
  'functions and the admin CLI only.';
revoke all on function private.claim_bison_requests(uuid, integer)
  from public, anon, authenticated, service_role;
