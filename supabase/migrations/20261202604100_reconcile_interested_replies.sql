-- LEAD_INTERESTED fires only the first time Bison marks a lead interested: when someone
-- un-marks the reply, or marks it again, no webhook says so. The hourly reconciliation lists
-- Bison's interested replies of the recent days and makes the mirror agree: replies Bison no
-- longer marks lose their interest (taken back from the day they were counted on), replies it
-- marks that the mirror had not are counted on the day the reconciliation found them. Replies
-- the mirror has never seen are replayed as LEAD_INTERESTED events before this runs. A list that
-- would un-mark more than a share of the window's interested replies at once is not trusted for
-- un-marking (the same bad-answer guard as the mailbox inventory).
insert into private.settings (key, value, description) values
  ('interested_reconciliation_days', '14',
   'How many local days back (today included) the reconciliation compares interested replies '
   'with Bison (a whole number from 1 to 90).'),
  ('interested_unmark_hold_share_pct', '20',
   'A reconciliation that would un-mark more than this percentage of the window''s interested '
   'replies at once un-marks nothing (reported as held).')
on conflict (key) do nothing;

create or replace function private.reconcile_interested_replies(
  target_workspace_id bigint,
  since timestamptz,
  interested_reply_ids bigint[],
  as_of timestamptz default now()
)
returns table (marked integer, unmarked integer, held boolean)
language plpgsql
set search_path = ''
as $$
declare
  hold_share_pct numeric := private.setting_numeric('interested_unmark_hold_share_pct', 20);
  reply record;
  interested_in_window integer;
  to_unmark integer;
  marked_count integer := 0;
  unmarked_count integer := 0;
  hold boolean;
begin
  if target_workspace_id is null or since is null or as_of is null then
    raise exception 'a workspace, since and as_of are required' using errcode = '22023';
  end if;
  interested_reply_ids := coalesce(interested_reply_ids, '{}');

  select count(*), count(*) filter (where not (r.bison_reply_id = any (interested_reply_ids)))
  into interested_in_window, to_unmark
  from public.replies r
  where r.workspace_id = target_workspace_id and r.received_at >= since and r.interested;
  hold := to_unmark > 0
    and coalesce(private.percent_of(to_unmark, interested_in_window), 100) > hold_share_pct;

  for reply in
    select r.id, r.campaign_id, r.interested, r.interested_at
    from public.replies r
    where r.workspace_id = target_workspace_id
      and (
        (not r.interested and r.bison_reply_id = any (interested_reply_ids))
        or (not hold and r.interested and r.received_at >= since
            and not (r.bison_reply_id = any (interested_reply_ids)))
      )
    order by r.id
    for update
  loop
    if reply.interested then
      update public.replies set interested = false, interested_at = null, updated_at = now()
      where id = reply.id;
      perform private.increment_daily_metric(target_workspace_id, reply.campaign_id,
        private.local_day(target_workspace_id, coalesce(reply.interested_at, as_of)),
        'interested', -1);
      unmarked_count := unmarked_count + 1;
    else
      update public.replies set interested = true, interested_at = as_of, updated_at = now()
      where id = reply.id;
      perform private.increment_daily_metric(target_workspace_id, reply.campaign_id,
        private.local_day(target_workspace_id, as_of), 'interested', 1);
      marked_count := marked_count + 1;
    end if;
  end loop;
  return query select marked_count, unmarked_count, hold;
end;
$$;
comment on function private.reconcile_interested_replies(bigint, timestamptz, bigint[], timestamptz) is
  'Makes a workspace''s stored replies agree with Bison''s list of interested reply ids '
  '(complete for replies received since since): a listed reply not marked is marked and counted '
  'on the local day of as_of; a reply received since then, marked but not listed, is un-marked '
  'and taken back from the day it was counted on (replies.interested_at), unless that would '
  'un-mark more than interested_unmark_hold_share_pct of the window''s interested replies (held: '
  'nothing un-marked). Returns how many it marked and un-marked, and whether un-marking was held.';
