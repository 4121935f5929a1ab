-- A bad answer must not empty the inventory. A mailbox is removed only when two consecutive
-- complete inventories lack it (or an EMAIL_ACCOUNT_REMOVED event removed it). A complete
-- inventory that lacks more than a share of a workspace's mailboxes at once is held: nothing is
-- removed, the hold shows in the mailbox_sync health check (and so in Slack), and only a second
-- complete inventory agreeing with it removes them. A mailbox that a sweep removed and a later
-- inventory lists again is restored in the daily snapshots and provider performance of the days
-- in between.
alter table public.sender_email_sync_runs
  add column missing integer not null default 0,
  add column held boolean not null default false;
comment on column public.sender_email_sync_runs.missing is
  'Mailboxes of the workspace this complete inventory lacked.';
comment on column public.sender_email_sync_runs.held is
  'The inventory lacked more than mailbox_removal_hold_share_pct of the workspace''s mailboxes: '
  'nothing was removed, and a second agreeing inventory is needed.';

alter table private.workspace_poll_state
  add column inventory_held_at timestamptz,
  add column held_missing integer,
  add column held_active integer;
comment on column private.workspace_poll_state.inventory_held_at is
  'Since when removals are held because a complete inventory lacked too many mailboxes at once '
  '(held_missing of held_active); null when nothing is held.';

insert into private.settings (key, value, description) values
  ('mailbox_removal_inventories', '2',
   'How many consecutive complete inventories must lack a mailbox before it is marked removed '
   '(a whole number, at least 2).'),
  ('mailbox_removal_hold_share_pct', '20',
   'A complete inventory lacking more than this percentage of a workspace''s mailboxes at once '
   'is held: nothing is removed until a second complete inventory agrees.')
on conflict (key) do nothing;

create or replace function private.restore_revived_mailbox_history(
  mailbox_ids bigint[],
  removed_ats timestamptz[]
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  target record;
  restored integer := 0;
  added integer;
begin
  for target in
    select distinct m.connection_id, r.day
    from unnest(mailbox_ids, removed_ats) v(id, removed_at)
    join public.sender_emails m on m.id = v.id
    join public.bison_connections c on c.id = m.connection_id
    join private.provider_performance_runs r
      on r.connection_id = m.connection_id and r.day >= (v.removed_at at time zone c.timezone)::date
    order by m.connection_id, r.day
  loop
    -- The mailbox as it is now, with the counters of its last snapshot before the day (so the
    -- days it was missing add no sends; the next real snapshot counts them).
    insert into public.sender_email_daily_snapshots as s (
      sender_email_id, day, connection_id, workspace_id, status, daily_limit, provider, reseller,
      emails_sent, unique_replies, bounced,
      emails_sent_running, unique_replies_running, bounced_running
    )
    select m.id, target.day, m.connection_id, m.workspace_id, m.status, m.daily_limit,
           m.provider, m.reseller,
           coalesce(p.emails_sent, m.emails_sent), coalesce(p.unique_replies, m.unique_replies),
           coalesce(p.bounced, m.bounced),
           coalesce(p.emails_sent_running, 0), coalesce(p.unique_replies_running, 0),
           coalesce(p.bounced_running, 0)
    from unnest(mailbox_ids, removed_ats) v(id, removed_at)
    join public.sender_emails m on m.id = v.id and m.connection_id = target.connection_id
    join public.bison_connections c on c.id = m.connection_id
    left join lateral (
      select prev.* from public.sender_email_daily_snapshots prev
      where prev.sender_email_id = m.id and prev.day < target.day
      order by prev.day desc limit 1
    ) p on true
    where target.day >= (v.removed_at at time zone c.timezone)::date
    -- A snapshot of the day of the removal recorded the mailbox as removed: its status, and
    -- what the mailbox is, are corrected; its counters were right.
    on conflict (sender_email_id, day) do update set
      status = excluded.status, workspace_id = excluded.workspace_id,
      daily_limit = excluded.daily_limit, provider = excluded.provider,
      reseller = excluded.reseller
    where s.status_group = 'removed';
    get diagnostics added = row_count;
    restored := restored + added;
    perform private.calculate_provider_performance(target.connection_id, target.day);
  end loop;
  return restored;
end;
$$;
comment on function private.restore_revived_mailbox_history(bigint[], timestamptz[]) is
  'For mailboxes that an inventory sweep removed (at removed_ats) and a later inventory listed '
  'again: writes their daily snapshots for every computed day since the removal (as they are '
  'now, counters carried from their previous snapshot; a snapshot recording them removed is '
  'corrected) and recomputes those days'' provider performance. Returns the snapshots written.';

create or replace function private.apply_sender_email_snapshot(
  sync_run_id bigint,
  mailboxes jsonb
)
returns table (upserted integer, removed integer)
language plpgsql
set search_path = ''
as $$
declare
  run public.sender_email_sync_runs;
  state private.workspace_poll_state;
  connection uuid;
  required_inventories integer := private.setting_numeric('mailbox_removal_inventories', 2);
  hold_share_pct numeric := private.setting_numeric('mailbox_removal_hold_share_pct', 20);
  active_before integer;
  inventory private.mailbox_snapshot[];
  incoming_ids bigint[];
  revived_ids bigint[];
  revived_removed_ats timestamptz[];
  upserted_count integer;
  missing_count integer;
  removed_count integer := 0;
  hold boolean;
begin
  select * into run from public.sender_email_sync_runs r where r.id = sync_run_id;
  if not found then
    raise exception 'no sync run with id %', sync_run_id using errcode = 'P0002';
  end if;
  if required_inventories is null or required_inventories < 2 then
    raise exception 'setting mailbox_removal_inventories must be at least 2' using errcode = '55000';
  end if;
  select w.connection_id into connection from public.workspaces w where w.id = run.workspace_id;
  -- A run whose lease expired (and was perhaps taken over) must not write an older inventory.
  select * into state from private.workspace_poll_state s
  where s.workspace_id = run.workspace_id and s.lease_owner = run.poll_run_id
  for update;
  if not found then
    raise exception 'the lease on workspace % was lost: this snapshot is not applied',
      run.workspace_id using errcode = '55P03';
  end if;

  select count(*) into active_before from public.sender_emails s
  where s.workspace_id = run.workspace_id
    and s.status_group <> 'removed';

  -- One typed parse of the whole batch (the poller has validated it): a value of the wrong type
  -- raises and changes nothing.
  inventory := array(
    select row(
      r.id, run.workspace_id, lower(nullif(btrim(r.email), '')), r.name,
      lower(nullif(btrim(r.status), '')), nullif(btrim(r.type), ''),
      case when r.daily_limit between 0 and 2147483647 then r.daily_limit::integer end,
      r.warmup_enabled,
      r.emails_sent_count::bigint, r.total_replied_count::bigint, r.total_opened_count::bigint,
      r.unsubscribed_count::bigint, r.bounced_count::bigint, r.unique_replied_count::bigint,
      r.unique_opened_count::bigint, r.total_leads_contacted_count::bigint,
      r.interested_leads_count::bigint,
      -- A complete inventory is as of its fetch when Bison gives no time.
      coalesce(r.updated_at, run.started_at),
      case when jsonb_typeof(r.tags) = 'array' then r.tags else '[]'::jsonb end,
      null, null,
      run.started_at
    )::private.mailbox_snapshot
    from jsonb_to_recordset(coalesce(mailboxes, '[]'::jsonb)) as r(
      id bigint, email text, name text, status text, type text, daily_limit numeric,
      warmup_enabled boolean, emails_sent_count numeric, total_replied_count numeric,
      total_opened_count numeric, unsubscribed_count numeric, bounced_count numeric,
      unique_replied_count numeric, unique_opened_count numeric,
      total_leads_contacted_count numeric, interested_leads_count numeric, tags jsonb,
      updated_at timestamptz)
    where r.id is not null);
  incoming_ids := array(select i.bison_id from unnest(inventory) i);

  -- Mailboxes a sweep removed that this inventory lists again: their history is repaired below.
  select array_agg(s.id), array_agg(s.removed_at) into revived_ids, revived_removed_ats
  from public.sender_emails s
  where s.connection_id = connection and s.bison_sender_email_id = any (incoming_ids)
    and s.removed_by = 'inventory' and s.removed_at < run.started_at;

  upserted_count := cardinality(private.merge_sender_emails(connection, inventory));

  if revived_ids is not null then
    perform private.restore_revived_mailbox_history(revived_ids, revived_removed_ats);
  end if;

  -- What this complete inventory lacks.
  update public.sender_emails s
  set missing_inventories = s.missing_inventories + 1
  where s.workspace_id = run.workspace_id
    and s.status_group <> 'removed'
    and s.bison_sender_email_id <> all (incoming_ids);
  get diagnostics missing_count = row_count;

  hold := missing_count > 0
    and coalesce(private.percent_of(missing_count, active_before), 100) > hold_share_pct
    and state.inventory_held_at is null;
  if hold then
    update private.workspace_poll_state s
    set inventory_held_at = now(), held_missing = missing_count, held_active = active_before
    where s.workspace_id = run.workspace_id;
  else
    -- A small disappearance, or a second inventory agreeing with a held one.
    update public.sender_emails s
    set status = 'removed', removed_at = now(), removed_by = 'inventory', updated_at = now()
    where s.workspace_id = run.workspace_id
      and s.status_group <> 'removed'
      and s.missing_inventories >= required_inventories;
    get diagnostics removed_count = row_count;
    update private.workspace_poll_state s
    set inventory_held_at = null, held_missing = null, held_active = null
    where s.workspace_id = run.workspace_id and s.inventory_held_at is not null;
  end if;
  update public.sender_email_sync_runs r
  set missing = missing_count, held = hold
  where r.id = sync_run_id;

  return query select upserted_count, removed_count;
end;
$$;
comment on function private.apply_sender_email_snapshot(bigint, jsonb) is
  'Applies a workspace''s complete mailbox inventory (REST field names, as validated by the '
  'poller: every page fetched and the count matching a meta.total Bison gave; a value of the '
  'wrong type raises and changes nothing) through private.merge_sender_emails. Mailboxes it '
  'lacks count one more missing inventory; those lacked by mailbox_removal_inventories (2) '
  'consecutive inventories are marked removed, unless this inventory lacks more than '
  'mailbox_removal_hold_share_pct (20) of the workspace''s mailboxes and none was held before: '
  'then nothing is removed and the workspace is held until the next complete inventory (which '
  'removes what both lack, or releases the hold). Mailboxes a sweep removed that it lists again '
  'are restored, with their snapshot history. Records missing and held on the sync run. Never '
  'call it with a partial fetch.';
