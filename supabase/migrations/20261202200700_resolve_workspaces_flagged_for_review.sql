-- An event from a workspace nobody registered creates it flagged for review (needs_review). An
-- operator either accepts it as a workspace of its own, or merges it into the workspace it really
-- is (one recorded by hand under another Bison number, say): that workspace takes the Bison
-- number the events carry, so later events land there, and the flagged workspace's stored events
-- are applied to it again, through the same path as any event, before the flagged one is deleted.
create or replace function private.accept_review_workspace(target_workspace_id bigint)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
  update public.workspaces w set needs_review = false, updated_at = now()
  where w.id = target_workspace_id and w.needs_review;
  if found then
    return true;
  end if;
  if not exists (select 1 from public.workspaces w where w.id = target_workspace_id) then
    raise exception 'no workspace with id %', target_workspace_id using errcode = 'P0002';
  end if;
  return false;
end;
$$;
comment on function private.accept_review_workspace(bigint) is
  'Accepts a workspace flagged for review as a workspace of its own. Returns false when it was '
  'not flagged. Raises P0002 for an unknown workspace.';

create or replace function private.merge_review_workspace(
  review_workspace_id bigint,
  into_workspace_id bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  review public.workspaces;
  survivor public.workspaces;
  retention interval := private.setting_interval('webhook_payload_retention', interval '30 days');
  moved bigint[];
  event_id bigint;
  outcomes jsonb := '{}';
  outcome text;
begin
  select * into review from public.workspaces w where w.id = review_workspace_id for update;
  select * into survivor from public.workspaces w where w.id = into_workspace_id for update;
  if review.id is null or survivor.id is null then
    raise exception 'no workspace with id %',
      case when review.id is null then review_workspace_id else into_workspace_id end
      using errcode = 'P0002';
  end if;
  if not review.needs_review then
    raise exception 'workspace % is not flagged for review', review.id using errcode = '22023';
  end if;
  if review.id = survivor.id or review.connection_id <> survivor.connection_id then
    raise exception 'a flagged workspace merges into another workspace of the same connection'
      using errcode = '22023';
  end if;
  -- Every event of the flagged workspace must still be stored, or its counts would be lost.
  if review.created_at < now() - retention then
    raise exception 'workspace % is older than the event retention (%): its first events are '
      'pruned and merging would lose their counts; accept it instead', review.id, retention
      using errcode = '22023';
  end if;

  with moving as (
    update private.webhook_events e
    set workspace_id = survivor.id,
        status = case when e.status = 'unknown_type' then e.status else 'received' end
    where e.workspace_id = review.id
    returning e.id, e.status
  )
  select coalesce(array_agg(m.id order by m.id) filter (where m.status = 'received'), '{}')
  into moved from moving m;
  -- Everything derived from the events goes with the flagged workspace (cascade); mailboxes are
  -- kept, unassigned, until their events assign them again.
  delete from public.workspaces w where w.id = review.id;
  update public.workspaces w
  set bison_workspace_id = review.bison_workspace_id, updated_at = now()
  where w.id = survivor.id;
  foreach event_id in array moved loop
    outcome := private.process_webhook_event(event_id);
    outcomes := jsonb_set(outcomes, array[outcome],
      to_jsonb(coalesce((outcomes ->> outcome)::integer, 0) + 1));
  end loop;
  return jsonb_build_object(
    'workspace_id', survivor.id,
    'bison_workspace_id', review.bison_workspace_id,
    'previous_bison_workspace_id', survivor.bison_workspace_id,
    'events_applied', outcomes);
end;
$$;
comment on function private.merge_review_workspace(bigint, bigint) is
  'Merges a workspace flagged for review into another workspace of its connection: the survivor '
  'takes the flagged one''s Bison number (later events land on it), the flagged one''s stored '
  'events are applied to the survivor again and the flagged one is deleted with what was '
  'derived from them. All or nothing. Returns {workspace_id, bison_workspace_id, '
  'previous_bison_workspace_id, events_applied: {outcome: count}}. Raises P0002 for an unknown '
  'workspace, 22023 when the first is not flagged, both are one, they belong to different '
  'connections, or its events may already be pruned.';
