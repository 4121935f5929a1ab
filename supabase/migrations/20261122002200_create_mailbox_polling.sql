-- Polling the mailbox inventory: leases make overlapping or crashed runs safe (a workspace is
-- polled by one run at a time and a dead run's lease expires), each workspace's sync is recorded,
-- and a snapshot is applied in one set-based statement with mark-and-sweep only after a complete
-- fetch.
create table private.workspace_poll_state (
  workspace_id bigint primary key references public.workspaces (id) on delete cascade,
  next_poll_at timestamptz not null default now(),
  lease_owner uuid,
  lease_expires_at timestamptz,
  last_complete_sync_at timestamptz,
  last_error text,
  consecutive_failures integer not null default 0
);
create index workspace_poll_state_due_idx on private.workspace_poll_state (next_poll_at);
comment on table private.workspace_poll_state is
  'When each workspace is next due for a mailbox poll and which run (lease) is polling it.';
alter table private.workspace_poll_state enable row level security;
revoke all on private.workspace_poll_state from public, anon, authenticated, service_role;

create table public.sender_email_sync_runs (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  poll_run_id uuid not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  pages integer not null default 0,
  mailboxes_seen integer not null default 0,
  upserted integer not null default 0,
  removed integer not null default 0,
  complete boolean not null default false,
  error text
);
create index sender_email_sync_runs_workspace_id_started_at_idx
  on public.sender_email_sync_runs (workspace_id, started_at desc);
comment on table public.sender_email_sync_runs is
  'One row per workspace per poll: pages fetched, mailboxes seen/upserted/removed, and the error '
  'when it failed. complete means every page was fetched and the count matched meta.total.';
alter table public.sender_email_sync_runs enable row level security;
create policy "members read their workspaces' sync runs" on public.sender_email_sync_runs
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
revoke all on public.sender_email_sync_runs from anon, authenticated;
grant select on public.sender_email_sync_runs to authenticated;
grant select, insert, update, delete on public.sender_email_sync_runs to service_role;

insert into private.settings (key, value, description) values
  ('mailbox_poll_interval', '"5 minutes"',
   'How often each workspace''s mailbox inventory is polled (an interval).');

create or replace function private.claim_workspace_for_polling(
  poll_run_id uuid,
  lease_seconds integer default 300
)
returns table (
  workspace_id bigint,
  bison_workspace_id bigint,
  connection_id uuid,
  base_url text,
  api_key text,
  key_kind text,
  sync_run_id bigint
)
language plpgsql
set search_path = ''
as $$
declare
  claimed bigint;
begin
  -- Workspaces with a key get a poll state the first time they are seen.
  insert into private.workspace_poll_state (workspace_id)
  select k.workspace_id from private.workspace_api_keys k
  on conflict on constraint workspace_poll_state_pkey do nothing;

  update private.workspace_poll_state s
  set lease_owner = claim_workspace_for_polling.poll_run_id,
      lease_expires_at = now() + make_interval(secs => lease_seconds)
  where s.workspace_id = (
    select d.workspace_id from private.workspace_poll_state d
    join private.workspace_api_keys k on k.workspace_id = d.workspace_id
    where d.next_poll_at <= now()
      and (d.lease_expires_at is null or d.lease_expires_at < now())
    order by d.next_poll_at, d.workspace_id
    limit 1
    for update of d skip locked
  )
  returning s.workspace_id into claimed;
  if claimed is null then
    return;
  end if;

  return query
  with run as (
    insert into public.sender_email_sync_runs (workspace_id, poll_run_id)
    values (claimed, claim_workspace_for_polling.poll_run_id)
    returning id
  )
  select w.id, w.bison_workspace_id, w.connection_id, c.base_url, s.decrypted_secret, k.key_kind,
         (select id from run)
  from public.workspaces w
  join public.bison_connections c on c.id = w.connection_id
  join private.workspace_api_keys k on k.workspace_id = w.id
  join vault.decrypted_secrets s on s.id = k.vault_secret_id
  where w.id = claimed;
end;
$$;
comment on function private.claim_workspace_for_polling(uuid, integer) is
  'Leases the next due workspace (skip locked, so concurrent runs never take the same one; an '
  'expired lease is taken over), opens its sync run row and returns what the poller needs, its '
  'API key included. Returns no row when nothing is due.';

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
  connection uuid;
  upserted_count integer;
  removed_count integer := 0;
  seen_ids bigint[];
begin
  select * into run from public.sender_email_sync_runs r where r.id = sync_run_id;
  if not found then
    raise exception 'no sync run with id %', sync_run_id using errcode = 'P0002';
  end if;
  select w.connection_id into connection from public.workspaces w where w.id = run.workspace_id;
  -- A run whose lease expired (and was perhaps taken over) must not write an older inventory.
  perform 1 from private.workspace_poll_state s
  where s.workspace_id = run.workspace_id and s.lease_owner = run.poll_run_id
  for update;
  if not found then
    raise exception 'the lease on workspace % was lost: this snapshot is not applied',
      run.workspace_id using errcode = '55P03';
  end if;

  -- One typed parse of the whole batch (the poller has validated it): per-row helper calls would
  -- cost more than the writes.
  with incoming as (
    select
      r.id as bison_id,
      lower(nullif(btrim(r.email), '')) as email,
      r.name,
      lower(nullif(btrim(r.status), '')) as status,
      nullif(btrim(r.type), '') as connection_type,
      case when r.daily_limit between 0 and 2147483647 then r.daily_limit::integer end
        as daily_limit,
      r.warmup_enabled,
      r.emails_sent_count::bigint as emails_sent,
      r.total_replied_count::bigint as replied,
      r.total_opened_count::bigint as opened,
      r.unsubscribed_count::bigint as unsubscribed,
      r.bounced_count::bigint as bounced,
      r.unique_replied_count::bigint as unique_replies,
      r.unique_opened_count::bigint as unique_opens,
      r.total_leads_contacted_count::bigint as total_leads_contacted,
      r.interested_leads_count::bigint as interested,
      coalesce(r.updated_at, now()) as bison_updated_at,
      case when jsonb_typeof(r.tags) = 'array' then r.tags else '[]'::jsonb end as tags
    from jsonb_to_recordset(coalesce(mailboxes, '[]'::jsonb)) as r(
      id bigint, email text, name text, status text, type text, daily_limit numeric,
      warmup_enabled boolean, emails_sent_count numeric, total_replied_count numeric,
      total_opened_count numeric, unsubscribed_count numeric, bounced_count numeric,
      unique_replied_count numeric, unique_opened_count numeric,
      total_leads_contacted_count numeric, interested_leads_count numeric, tags jsonb,
      updated_at timestamptz)
    where r.id is not null
  ),
  mapped_tags as (
    select i.bison_id, array_agg(m.provider) as providers, array_agg(m.reseller) as resellers
    from incoming i
    cross join jsonb_array_elements(i.tags) t
    join public.mailbox_tag_mappings m
      on lower(m.tag_name) = lower(btrim(coalesce(t ->> 'name', t #>> '{}')))
    group by i.bison_id
  ),
  signals as (
    select i.*, t.providers, t.resellers from incoming i left join mapped_tags t using (bison_id)
  ),
  -- A workspace has a handful of distinct (type, tags) combinations: decide each once.
  decisions as (
    select d.connection_type, d.providers, d.resellers, c.provider, c.reseller, c.problem
    from (select distinct connection_type, providers, resellers from signals) d
    cross join lateral private.classify_mailbox(d.connection_type, d.providers, d.resellers) c
  ),
  classified as (
    select s.*, d.provider, d.reseller, d.problem
    from signals s
    join decisions d
      on d.connection_type is not distinct from s.connection_type
     and d.providers is not distinct from s.providers
     and d.resellers is not distinct from s.resellers
  ),
  written as (
    insert into public.sender_emails as s (
      connection_id, bison_sender_email_id, workspace_id, email, name, status, connection_type,
      daily_limit, warmup_enabled, emails_sent, replied, opened, unsubscribed, bounced,
      unique_replies, unique_opens, total_leads_contacted, interested, bison_updated_at, tags,
      provider, reseller, classification_problem, last_seen_at, removed_at
    )
    select connection, c.bison_id, run.workspace_id, c.email, c.name, c.status, c.connection_type,
           c.daily_limit, c.warmup_enabled, c.emails_sent, c.replied, c.opened, c.unsubscribed,
           c.bounced, c.unique_replies, c.unique_opens, c.total_leads_contacted, c.interested,
           c.bison_updated_at, c.tags, c.provider, c.reseller, c.problem, now(), null
    from classified c
    on conflict (connection_id, bison_sender_email_id) do update set
      workspace_id = excluded.workspace_id,
      email = coalesce(excluded.email, s.email),
      name = coalesce(excluded.name, s.name),
      tags = excluded.tags,
      provider = excluded.provider,
      reseller = excluded.reseller,
      classification_problem = excluded.classification_problem,
      connection_type = coalesce(excluded.connection_type, s.connection_type),
      last_seen_at = excluded.last_seen_at,
      removed_at = null,
      status = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
                      or s.status = 'removed'
        then coalesce(excluded.status, s.status) else s.status end,
      daily_limit = coalesce(excluded.daily_limit, s.daily_limit),
      warmup_enabled = coalesce(excluded.warmup_enabled, s.warmup_enabled),
      emails_sent = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.emails_sent, s.emails_sent) else s.emails_sent end,
      replied = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.replied, s.replied) else s.replied end,
      opened = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.opened, s.opened) else s.opened end,
      unsubscribed = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.unsubscribed, s.unsubscribed) else s.unsubscribed end,
      bounced = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.bounced, s.bounced) else s.bounced end,
      unique_replies = case
        when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.unique_replies, s.unique_replies) else s.unique_replies end,
      unique_opens = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.unique_opens, s.unique_opens) else s.unique_opens end,
      total_leads_contacted = case
        when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.total_leads_contacted, s.total_leads_contacted)
        else s.total_leads_contacted end,
      interested = case when excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.interested, s.interested) else s.interested end,
      bison_updated_at = greatest(excluded.bison_updated_at, s.bison_updated_at),
      updated_at = now()
    returning s.bison_sender_email_id
  )
  -- Every mailbox of the inventory is written (the upsert skips none), so these are all it holds.
  select count(*)::integer, coalesce(array_agg(w.bison_sender_email_id), '{}')
    into upserted_count, seen_ids
  from written w;

  -- Mark-and-sweep: this is the whole inventory, so what it lacks is gone from Bison.
  update public.sender_emails s
    set status = 'removed', removed_at = now(), updated_at = now()
    where s.workspace_id = run.workspace_id
      and s.status is distinct from 'removed'
      and s.bison_sender_email_id <> all (seen_ids);
  get diagnostics removed_count = row_count;

  return query select upserted_count, removed_count;
end;
$$;
comment on function private.apply_sender_email_snapshot(bigint, jsonb) is
  'Writes a workspace''s complete mailbox inventory (REST field names, as validated by the '
  'poller: a value of the wrong type raises and changes nothing; every page fetched and '
  'the count matching meta.total) in one set-based upsert with provider/reseller '
  'classification, counters applied when not older than what is stored, and marks the '
  'workspace''s mailboxes missing from it removed. Never call it with a partial fetch.';

create or replace function private.finish_workspace_poll(
  sync_run_id bigint,
  pages integer,
  mailboxes_seen integer,
  upserted integer,
  removed integer,
  complete boolean,
  error text
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  target bigint;
  owner uuid;
  poll_interval interval := private.setting_interval('mailbox_poll_interval', interval '5 minutes');
begin
  update public.sender_email_sync_runs r
  set finished_at = now(), pages = finish_workspace_poll.pages,
      mailboxes_seen = finish_workspace_poll.mailboxes_seen,
      upserted = finish_workspace_poll.upserted, removed = finish_workspace_poll.removed,
      complete = finish_workspace_poll.complete, error = left(finish_workspace_poll.error, 2000)
  where r.id = sync_run_id
  returning r.workspace_id, r.poll_run_id into target, owner;
  if target is null then
    raise exception 'no sync run with id %', sync_run_id using errcode = 'P0002';
  end if;
  -- The next poll is due one interval after this one started, less a little slack so that a
  -- 5-minute schedule does not skip a workspace whose poll ended a second too late.
  update private.workspace_poll_state s
  set lease_owner = null, lease_expires_at = null,
      next_poll_at = case when error is null
        then now() + poll_interval * 0.9
        else now() + least(poll_interval * 0.9, interval '1 minute' * power(2, s.consecutive_failures))
      end,
      last_complete_sync_at = case when complete then now() else s.last_complete_sync_at end,
      last_error = left(error, 2000),
      consecutive_failures = case when error is null then 0 else s.consecutive_failures + 1 end
  where s.workspace_id = target and s.lease_owner = owner;
end;
$$;
comment on function private.finish_workspace_poll(bigint, integer, integer, integer, integer, boolean, text) is
  'Closes a workspace''s sync run with its figures (error null on success), releases the lease '
  'if this run still holds it and sets when the workspace is next due (backing off after '
  'failures).';
