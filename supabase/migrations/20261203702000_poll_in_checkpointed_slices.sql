-- Polling in bounded, checkpointed slices. One invocation of poll-sender-emails used to fetch
-- and write every due workspace: at an agency's size that is about 2 s of CPU (the hosted
-- limit), and ten times more at ten times the size. Now an invocation (a slice) serves one
-- connection within its bounds (wall time, pages), records where each unfinished inventory
-- stopped, and queues the next slice while work remains (one more at its start, when another
-- connection is waiting): one chain of slices per connection with work, each slice short. The
-- cron job's call every minute restarts a chain that broke.
--
-- - A workspace's inventory may span slices: the pages fetched so far are staged
--   (private.sender_email_inventory_pages) with the next page's URL, and nothing is written to
--   sender_emails until the whole inventory is in (private.apply_staged_sender_email_snapshot).
-- - One slice at a time serves a connection (a lease on private.connection_poll_state); its
--   requests take their turns in the budget the connection shares with every process
--   (private.claim_bison_requests). A dead instance holds only its own chain.
-- - Stale first: inventories in progress, then the workspaces longest without a complete sync.
-- - A per-connection circuit breaker: after poll_breaker_failures requests in a row that the
--   instance left unanswered (timeout, network error: a 5xx is an answer), its workspaces are
--   left alone for a cool-down that doubles each time (poll_breaker_cooldown, at most
--   poll_breaker_max_cooldown); then one worker probes it.
-- - Per workspace, failures back off across runs: 1, 2, 4 ... minutes, at most
--   mailbox_poll_max_backoff.
insert into private.settings (key, value, description) values
  ('mailbox_poll_max_backoff', '"1 hour"',
   'The longest a failing workspace waits before its inventory is tried again (failures back off '
   '1, 2, 4 ... minutes up to this; an interval).'),
  ('poll_breaker_failures', '3',
   'Requests in a row a Bison instance leaves unanswered (timeout, network error) before polling '
   'stops calling it for a cool-down.'),
  ('poll_breaker_cooldown', '"1 minute"',
   'How long polling leaves an unreachable Bison instance alone the first time (doubling each '
   'time it is still unreachable; an interval).'),
  ('poll_breaker_max_cooldown', '"30 minutes"',
   'The longest cool-down of an unreachable Bison instance (an interval).');

alter table private.workspace_poll_state
  add column resume_sync_run_id bigint
    references public.sender_email_sync_runs (id) on delete set null,
  add column resume_url text,
  add column resume_pages integer,
  add column resume_fetched integer;
comment on column private.workspace_poll_state.resume_url is
  'The next page of an inventory a slice left unfinished (resume_sync_run_id, with resume_pages '
  'pages and resume_fetched mailboxes staged so far): the next slice continues from it.';

create table private.sender_email_inventory_pages (
  sync_run_id bigint not null references public.sender_email_sync_runs (id) on delete cascade,
  first_page integer not null,
  mailboxes jsonb not null,
  primary key (sync_run_id, first_page)
);
comment on table private.sender_email_inventory_pages is
  'Pages of an inventory fetched by earlier slices (the mailboxes as the poller keeps them, from '
  'page first_page on), applied with the rest once the inventory is complete, deleted then or '
  'when the sync run fails.';
alter table private.sender_email_inventory_pages enable row level security;
revoke all on private.sender_email_inventory_pages from public, anon, authenticated, service_role;

create table private.connection_poll_state (
  connection_id uuid primary key references public.bison_connections (id) on delete cascade,
  slice_owner uuid,
  slice_expires_at timestamptz,
  breaker_failures integer not null default 0,
  breaker_opens integer not null default 0,
  breaker_open_until timestamptz,
  breaker_error text,
  updated_at timestamptz not null default now()
);
comment on table private.connection_poll_state is
  'Per connection: the slice polling it now (slice_owner, until slice_expires_at) and its '
  'circuit breaker: requests '
  'in a row unanswered (breaker_failures), and while open, until when its workspaces are left '
  'alone (breaker_open_until; past it, one workspace probes the instance).';
alter table private.connection_poll_state enable row level security;
revoke all on private.connection_poll_state from public, anon, authenticated, service_role;

create or replace function private.claim_connection_for_polling(
  slice_id uuid,
  lease_seconds integer
)
returns table (
  connection_id uuid,
  base_url text,
  breaker_failures integer,
  breaker_threshold integer,
  half_open boolean
)
language plpgsql
set search_path = ''
as $$
declare
  claimed uuid;
begin
  -- Workspaces with a key, and their connections, get a poll state the first time they are seen.
  insert into private.workspace_poll_state (workspace_id)
  select k.workspace_id from private.workspace_api_keys k
  on conflict on constraint workspace_poll_state_pkey do nothing;
  insert into private.connection_poll_state (connection_id)
  select distinct w.connection_id from private.workspace_api_keys k
  join public.workspaces w on w.id = k.workspace_id
  on conflict on constraint connection_poll_state_pkey do nothing;

  -- The connection whose due workspace has waited longest for a complete sync.
  update private.connection_poll_state c
  set slice_owner = claim_connection_for_polling.slice_id,
      slice_expires_at = now() + make_interval(secs => lease_seconds),
      updated_at = now()
  where c.connection_id = (
    select cs.connection_id from private.connection_poll_state cs
    cross join lateral (
      select min(coalesce(s.last_complete_sync_at, '-infinity')) as stalest
      from private.workspace_poll_state s
      join private.workspace_api_keys k on k.workspace_id = s.workspace_id
      join public.workspaces w on w.id = s.workspace_id
      where w.connection_id = cs.connection_id and s.next_poll_at <= now()
        and (s.lease_expires_at is null or s.lease_expires_at < now())
    ) due
    where (cs.slice_expires_at is null or cs.slice_expires_at < now())
      and (cs.breaker_open_until is null or cs.breaker_open_until <= now())
      and due.stalest is not null
    order by due.stalest, cs.connection_id
    limit 1
    for update of cs skip locked
  )
  returning c.connection_id into claimed;
  if claimed is null then
    return;
  end if;
  return query
  select c.connection_id, b.base_url, c.breaker_failures,
    greatest(1, private.setting_numeric('poll_breaker_failures'))::integer,
    c.breaker_open_until is not null
  from private.connection_poll_state c
  join public.bison_connections b on b.id = c.connection_id
  where c.connection_id = claimed;
end;
$$;
comment on function private.claim_connection_for_polling(uuid, integer) is
  'Leases, for the slice slice_id, the connection with the stalest due workspace that no live '
  'slice serves and whose circuit breaker is not open; returns what the slice needs of it: base '
  'URL, the breaker''s count of unanswered '
  'requests in a row and its threshold (setting poll_breaker_failures), and half_open (its '
  'cool-down is over: one worker probes it). No row when there is none.';

drop function private.claim_workspace_for_polling(uuid, integer);
create or replace function private.claim_workspace_for_polling(
  poll_run_id uuid,
  lease_seconds integer default 300,
  from_connection uuid default null
)
returns table (
  workspace_id bigint,
  bison_workspace_id bigint,
  connection_id uuid,
  base_url text,
  api_key text,
  key_kind text,
  sync_run_id bigint,
  resume_url text,
  resume_pages integer,
  resume_fetched integer
)
language plpgsql
set search_path = ''
as $$
declare
  claimed private.workspace_poll_state;
  run_id bigint;
begin
  -- Workspaces with a key get a poll state the first time they are seen.
  insert into private.workspace_poll_state (workspace_id)
  select k.workspace_id from private.workspace_api_keys k
  on conflict on constraint workspace_poll_state_pkey do nothing;

  -- Inventories in progress first (their pages are staged), then the stalest.
  update private.workspace_poll_state s
  set lease_owner = claim_workspace_for_polling.poll_run_id,
      lease_expires_at = now() + make_interval(secs => lease_seconds)
  where s.workspace_id = (
    select d.workspace_id from private.workspace_poll_state d
    join private.workspace_api_keys k on k.workspace_id = d.workspace_id
    join public.workspaces w on w.id = d.workspace_id
    where d.next_poll_at <= now()
      and (d.lease_expires_at is null or d.lease_expires_at < now())
      and (from_connection is null or w.connection_id = from_connection)
    order by d.resume_url is null, d.last_complete_sync_at nulls first, d.next_poll_at,
             d.workspace_id
    limit 1
    for update of d skip locked
  )
  returning s.* into claimed;
  if claimed.workspace_id is null then
    return;
  end if;

  if claimed.resume_url is not null then
    -- The run in progress continues under this lease.
    update public.sender_email_sync_runs r set poll_run_id = claim_workspace_for_polling.poll_run_id
    where r.id = claimed.resume_sync_run_id and r.finished_at is null
    returning r.id into run_id;
  end if;
  if run_id is null then
    claimed.resume_url := null;
    insert into public.sender_email_sync_runs (workspace_id, poll_run_id)
    values (claimed.workspace_id, claim_workspace_for_polling.poll_run_id)
    returning id into run_id;
  end if;

  return query
  select w.id, w.bison_workspace_id, w.connection_id, c.base_url, s.decrypted_secret, k.key_kind,
         run_id, claimed.resume_url,
         case when claimed.resume_url is not null then claimed.resume_pages else 0 end,
         case when claimed.resume_url is not null then claimed.resume_fetched else 0 end
  from public.workspaces w
  join public.bison_connections c on c.id = w.connection_id
  join private.workspace_api_keys k on k.workspace_id = w.id
  join vault.decrypted_secrets s on s.id = k.vault_secret_id
  where w.id = claimed.workspace_id;
end;
$$;
comment on function private.claim_workspace_for_polling(uuid, integer, uuid) is
  'Leases the next due workspace (of from_connection when given; skip locked, so concurrent '
  'runs never take the same one; an expired lease is taken over): an inventory in progress '
  'first, then the one longest without a complete sync. Returns what the poller needs, its API '
  'key included, its sync run (the one in progress, or a new one) and where to resume '
  '(resume_url null: from the first page). No row when nothing is due.';

create or replace function private.checkpoint_workspace_poll(
  sync_run_id bigint,
  mailboxes jsonb,
  next_url text,
  pages integer,
  fetched integer
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  run public.sender_email_sync_runs;
  state private.workspace_poll_state;
begin
  select * into run from public.sender_email_sync_runs r
  where r.id = checkpoint_workspace_poll.sync_run_id;
  if not found then
    raise exception 'no sync run with id %', sync_run_id using errcode = 'P0002';
  end if;
  if next_url is null or pages is null or fetched is null then
    raise exception 'a checkpoint needs the next page''s URL and the figures so far'
      using errcode = '22023';
  end if;
  select * into state from private.workspace_poll_state s
  where s.workspace_id = run.workspace_id and s.lease_owner = run.poll_run_id
  for update;
  if not found then
    raise exception 'the lease on workspace % was lost: this checkpoint is not recorded',
      run.workspace_id using errcode = '55P03';
  end if;
  if jsonb_array_length(coalesce(mailboxes, '[]'::jsonb)) > 0 then
    insert into private.sender_email_inventory_pages (sync_run_id, first_page, mailboxes)
    values (run.id,
            case when state.resume_sync_run_id = run.id then state.resume_pages + 1 else 1 end,
            mailboxes);
  end if;
  update public.sender_email_sync_runs r
  set pages = checkpoint_workspace_poll.pages, mailboxes_seen = fetched
  where r.id = run.id;
  -- Due at once: the next slice continues it first.
  update private.workspace_poll_state s
  set lease_owner = null, lease_expires_at = null, next_poll_at = now(),
      resume_sync_run_id = run.id, resume_url = next_url,
      resume_pages = checkpoint_workspace_poll.pages, resume_fetched = fetched
  where s.workspace_id = run.workspace_id;
end;
$$;
comment on function private.checkpoint_workspace_poll(bigint, jsonb, text, integer, integer) is
  'Records where a slice left an unfinished inventory: stages the mailboxes it fetched since the '
  'last checkpoint, the next page''s URL and the pages and mailboxes fetched so far, releases the '
  'lease and makes the workspace due at once. Refused (55P03) when the lease was lost.';

create or replace function private.apply_staged_sender_email_snapshot(
  sync_run_id bigint,
  mailboxes jsonb
)
returns table (upserted integer, removed integer, held boolean)
language plpgsql
set search_path = ''
as $$
declare
  applied record;
  inventory jsonb;
begin
  select coalesce(jsonb_agg(m.mailbox order by p.first_page, m.position), '[]'::jsonb)
    || coalesce(apply_staged_sender_email_snapshot.mailboxes, '[]'::jsonb)
  into inventory
  from private.sender_email_inventory_pages p
  cross join lateral jsonb_array_elements(p.mailboxes) with ordinality m(mailbox, position)
  where p.sync_run_id = apply_staged_sender_email_snapshot.sync_run_id;
  select * into applied
  from private.apply_sender_email_snapshot(apply_staged_sender_email_snapshot.sync_run_id,
                                           inventory);
  delete from private.sender_email_inventory_pages p
  where p.sync_run_id = apply_staged_sender_email_snapshot.sync_run_id;
  return query
  select applied.upserted, applied.removed, r.held from public.sender_email_sync_runs r
  where r.id = apply_staged_sender_email_snapshot.sync_run_id;
end;
$$;
comment on function private.apply_staged_sender_email_snapshot(bigint, jsonb) is
  'Applies a complete inventory (private.apply_sender_email_snapshot): the pages earlier slices '
  'staged for this sync run, then mailboxes (the rest). Returns upserted, removed and whether the '
  'removals were held.';

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
  poll_interval interval := private.setting_interval('mailbox_poll_interval');
  max_backoff interval := private.setting_interval('mailbox_poll_max_backoff');
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
  -- A failed inventory starts again from its first page.
  delete from private.sender_email_inventory_pages p
  where p.sync_run_id = finish_workspace_poll.sync_run_id;
  -- The next poll is due one interval after this one, less a little slack so that a 5-minute
  -- schedule does not skip a workspace whose poll ended a second too late. A failure backs off:
  -- 1, 2, 4 ... minutes, at most mailbox_poll_max_backoff, however many runs it takes.
  update private.workspace_poll_state s
  set lease_owner = null, lease_expires_at = null,
      next_poll_at = case when error is null
        then now() + poll_interval * 0.9
        else now() + least(max_backoff, interval '1 minute' * power(2, s.consecutive_failures))
      end,
      last_complete_sync_at = case when complete then now() else s.last_complete_sync_at end,
      last_error = left(error, 2000),
      consecutive_failures = case when error is null then 0 else s.consecutive_failures + 1 end,
      resume_sync_run_id = null, resume_url = null, resume_pages = null, resume_fetched = null
  where s.workspace_id = target and s.lease_owner = owner;
end;
$$;
comment on function private.finish_workspace_poll(
  bigint, integer, integer, integer, integer, boolean, text) is
  'Closes a sync run (its figures, complete or the error), drops what it staged, releases the '
  'lease and sets when the workspace is next due: one poll interval on, or after a failure '
  '1, 2, 4 ... minutes (at most mailbox_poll_max_backoff).';

create or replace function private.release_connection_for_polling(
  slice_id uuid,
  target_connection_id uuid,
  answered integer,
  unanswered_in_a_row integer,
  last_failure text
)
returns text
language plpgsql
set search_path = ''
as $$
declare
  state private.connection_poll_state;
  threshold integer := greatest(1, private.setting_numeric('poll_breaker_failures'))::integer;
  cooldown interval := private.setting_interval('poll_breaker_cooldown');
  max_cooldown interval :=
    private.setting_interval('poll_breaker_max_cooldown');
  failures integer;
  breaker text;
begin
  select * into state from private.connection_poll_state c
  where c.connection_id = target_connection_id and c.slice_owner = slice_id
  for update;
  if not found then
    return 'lost';
  end if;
  failures := case when answered > 0 then 0 else state.breaker_failures end
              + greatest(unanswered_in_a_row, 0);
  -- Open: too many unanswered in a row, or the probe after a cool-down was not answered.
  if failures >= threshold
     or (state.breaker_open_until is not null and answered = 0 and unanswered_in_a_row > 0) then
    breaker := 'open';
    update private.connection_poll_state c
    set breaker_failures = 0, breaker_opens = c.breaker_opens + 1,
        breaker_open_until = now() + least(max_cooldown, cooldown * power(2, c.breaker_opens)),
        breaker_error = left(last_failure, 500)
    where c.connection_id = target_connection_id;
  elsif answered > 0 and unanswered_in_a_row = 0 then
    breaker := 'closed';
    update private.connection_poll_state c
    set breaker_failures = 0, breaker_opens = 0, breaker_open_until = null, breaker_error = null
    where c.connection_id = target_connection_id;
  else
    breaker := case when state.breaker_open_until is null then 'closed' else 'half_open' end;
    update private.connection_poll_state c set breaker_failures = failures
    where c.connection_id = target_connection_id;
  end if;
  update private.connection_poll_state c
  set slice_owner = null, slice_expires_at = null, updated_at = now()
  where c.connection_id = target_connection_id;
  return breaker;
end;
$$;
comment on function private.release_connection_for_polling(
  uuid, uuid, integer, integer, text) is
  'Ends a slice''s lease on a connection and updates its circuit breaker with what the slice saw (requests answered, requests '
  'unanswered in a row at the end, the last failure): open for a cool-down (doubling each time, '
  'poll_breaker_cooldown to poll_breaker_max_cooldown) after poll_breaker_failures unanswered in '
  'a row, or when the probe after a cool-down went unanswered; closed after an answer. Returns '
  'open, half_open, closed, or lost (the lease had expired).';

create or replace function private.poll_slice_timeout_ms()
returns integer
language plpgsql
immutable
set search_path = ''
as $$
begin
  -- A slice stops fetching after 40 s, abandons requests still in flight 10 s later and answers
  -- within seconds of that: 60 s is never reached, and it is under half of hosted's 150 s.
  return 60000;
end;
$$;
comment on function private.poll_slice_timeout_ms() is
  'The pg_net timeout of every call of poll-sender-emails (the cron job and queued slices).';

create or replace function private.poll_work_remaining()
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1 from private.workspace_poll_state s
    join private.workspace_api_keys k on k.workspace_id = s.workspace_id
    join public.workspaces w on w.id = s.workspace_id
    left join private.connection_poll_state c on c.connection_id = w.connection_id
    where s.next_poll_at <= now()
      and (s.lease_expires_at is null or s.lease_expires_at < now())
      and (c.breaker_open_until is null or c.breaker_open_until <= now())
      and (c.slice_expires_at is null or c.slice_expires_at < now()));
$$;
comment on function private.poll_work_remaining() is
  'Whether a workspace is due that a new slice could poll now (its connection neither served by '
  'a live slice nor cooling down): a slice that sees one queues another.';

create or replace function private.queue_poll_slice()
returns bigint
language plpgsql
set search_path = ''
as $$
begin
  return private.invoke_edge_function('poll-sender-emails', '{}'::jsonb,
                                      private.poll_slice_timeout_ms());
end;
$$;
comment on function private.queue_poll_slice() is
  'Queues a call of poll-sender-emails through pg_net, as its cron job does: the next slice '
  'after one that left work, or a poll asked for by a catch-up. Returns the pg_net request id.';

create or replace function private.schedule_mailbox_polling()
returns void
language plpgsql
set search_path = ''
as $$
begin
  -- Every minute: a slice starts the chain when none is running (each slice queues the next while
  -- work remains). The workspaces' own poll interval decides what is due.
  perform private.schedule_job('poll-sender-emails', '* * * * *',
    format('select private.invoke_edge_function(%L, %L::jsonb, %s)', 'poll-sender-emails', '{}',
           private.poll_slice_timeout_ms()));
  perform private.schedule_job('prune-job-history', '41 * * * *',
    'select private.prune_job_history()');
end;
$$;
comment on function private.schedule_mailbox_polling() is
  'Idempotently (re)creates the pg_cron jobs poll-sender-emails (every minute: a slice, which '
  'queues the next while work remains) and prune-job-history (hourly).';

select private.schedule_mailbox_polling();
