-- At most one insight generation per workspace per minute: each generation claims its workspace's
-- row first. A claim is an atomic upsert, so concurrent requests cannot both pass. Only the
-- insights function (the database owner) claims; no API role can read or claim.
create table private.insight_generation_claims (
  workspace_id bigint primary key references public.workspaces (id) on delete cascade,
  claimed_at timestamptz not null
);
comment on table private.insight_generation_claims is
  'When each workspace last started an insight generation (the rate limit''s state).';

alter table private.insight_generation_claims enable row level security;
revoke all on private.insight_generation_claims from public, anon, authenticated, service_role;

create or replace function private.claim_insight_generation(
  target_workspace_id bigint,
  min_interval interval default interval '60 seconds'
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  last_claim timestamptz;
begin
  if target_workspace_id is null or min_interval is null or min_interval < interval '0' then
    raise exception 'a workspace id and a non-negative interval are required'
      using errcode = '22023';
  end if;

  insert into private.insight_generation_claims as c (workspace_id, claimed_at)
  values (target_workspace_id, now())
  on conflict (workspace_id) do update set claimed_at = excluded.claimed_at
    where c.claimed_at <= excluded.claimed_at - min_interval;
  if found then
    return 0;
  end if;

  -- Refused: a claim less than min_interval old exists. A new statement sees it even when a
  -- concurrent transaction has just made it.
  select c.claimed_at into last_claim
  from private.insight_generation_claims c where c.workspace_id = target_workspace_id;
  return least(
    greatest(1, ceil(extract(epoch from min_interval))::integer),
    greatest(1, ceil(extract(epoch from (last_claim + min_interval - now())))::integer)
  );
end;
$$;
comment on function private.claim_insight_generation(bigint, interval) is
  'Claims the right to generate insights for a workspace now. Returns 0 when claimed, else the '
  'whole seconds (at least 1) until the last claim is min_interval (default 60 s) old: the '
  'Retry-After to answer. Owner only (the insights function); not executable by API roles.';

revoke all on function private.claim_insight_generation(bigint, interval)
  from public, anon, authenticated, service_role;
