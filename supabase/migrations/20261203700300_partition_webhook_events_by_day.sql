-- Raw webhook events partitioned by day (UTC), so that the retention drops whole days instead of
-- deleting rows one by one (a mass DELETE leaves bloat behind and costs as much as the ingest it
-- removes). Idempotency moves to private.webhook_event_keys, which outlives the partitions.
--
-- On a populated database (hosted): the unpartitioned table becomes the first partition, bounded
-- by the CHECK constraint the two previous migrations added and validated, so attaching it scans
-- nothing. Ingest waits only while this migration holds ACCESS EXCLUSIVE on the table: the keys
-- of the events stored since the ledger was filled (the last hour's, through the workspace index),
-- renames, the attach and the function definitions; seconds, whatever the table's size. Its
-- unique index on idempotency_key (about 190 MB a million events) is dropped: the ledger replaces
-- it. The table keeps receiving events until unpartitioned_until (the next UTC midnight at least
-- two hours after the bound was added), daily partitions after it, and it is dropped whole
-- once all of it is past the retention. On an empty database (a new project, a test) the old
-- table is simply dropped and the partitions start today.
-- Keys of the events stored while (or since) the ledger was filled: those of the last hour
-- before the backfill started cover any transaction still running then. The lock is held until
-- the migration commits (LOCK in a DO block: `db push` runs a file as one implicit transaction,
-- where a bare LOCK TABLE is refused).
do $$
declare
  since timestamptz :=
    (select p.keys_backfilled_from from private.webhook_event_partitioning p) - interval '1 hour';
  workspace bigint;
begin
  lock table private.webhook_events in access exclusive mode;
  insert into private.webhook_event_keys (key_hash, received_at)
  select private.webhook_event_key_hash(e.idempotency_key), e.received_at
  from private.webhook_events e
  where e.workspace_id is null and e.received_at >= since
  on conflict (key_hash) do nothing;
  for workspace in select w.id from public.workspaces w loop
    insert into private.webhook_event_keys (key_hash, received_at)
    select private.webhook_event_key_hash(e.idempotency_key), e.received_at
    from private.webhook_events e
    where e.workspace_id = workspace and e.received_at >= since
    on conflict (key_hash) do nothing;
  end loop;
end
$$;

alter table private.webhook_events rename to webhook_events_unpartitioned;
alter table private.webhook_events_unpartitioned
  drop constraint webhook_events_idempotency_key_key;
alter index private.webhook_events_pkey rename to webhook_events_unpartitioned_pkey;
alter index private.webhook_events_workspace_id_received_at_idx
  rename to webhook_events_unpartitioned_workspace_id_received_at_idx;

-- The same columns, types, defaults and constraint names as before (a partition must match its
-- parent), without the unique key.
create table private.webhook_events (
  id bigint generated always as identity,
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  workspace_id bigint references public.workspaces (id) on delete cascade,
  event_type text not null,
  idempotency_key text not null,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  occurred_at timestamptz not null,
  status text not null default 'received'
    constraint webhook_events_status_check
    check (status in ('received', 'processed', 'failed', 'unknown_type')),
  error text,
  attempts integer not null default 0,
  processed_at timestamptz
) partition by range (received_at);
do $$
begin
  alter table private.webhook_events alter column payload set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
  raise notice 'lz4 is not available here: webhook payloads keep the default compression';
end
$$;
-- The one index every partition shares (the unpartitioned table has it already). Each daily
-- partition also gets its own on id and on the events still to process
-- (private.create_webhook_event_partition): the unpartitioned table would have to build them
-- under this migration's lock.
create index webhook_events_workspace_id_received_at_idx
  on private.webhook_events (workspace_id, received_at);
comment on table private.webhook_events is
  'Raw Email Bison webhook deliveries, one row per idempotency key (private.webhook_event_keys '
  'says which keys were seen), partitioned by UTC day of received_at '
  '(private.webhook_event_partitions) and dropped a day at a time after the retention. status: '
  'received (stored, not yet processed), processed, failed (error says why; reprocess after the '
  'fix), unknown_type (kept and reported, nothing derived).';

alter table private.webhook_events enable row level security;
revoke all on private.webhook_events from public, anon, authenticated, service_role;
grant select on private.webhook_events to service_role;
grant select (id, workspace_id, event_type, received_at, occurred_at, status)
  on private.webhook_events to authenticated;
-- Set-based, as every policy: the caller's workspaces are listed once per query.
create policy "members read their workspaces' delivery statistics" on private.webhook_events
  for select to authenticated
  using ((select private.is_agency_admin())
         or workspace_id = any ((select private.member_workspace_ids())::bigint[]));

insert into private.settings (key, value, description) values
  ('webhook_event_partition_days_ahead', '7',
   'How many UTC days ahead of today webhook_events has partitions ready (ingest fails for a '
   'day without one).');

create or replace function private.webhook_event_partitions()
returns table (partition regclass, starts_at timestamptz, ends_at timestamptz)
language sql
stable
set search_path = ''
as $$
  select c.oid::regclass,
    coalesce(nullif(btrim(b.bound[1], ''''), 'MINVALUE')::timestamptz, '-infinity'),
    btrim(b.bound[2], '''')::timestamptz
  from pg_catalog.pg_inherits i
  join pg_catalog.pg_class c on c.oid = i.inhrelid
  cross join lateral regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                                  '^FOR VALUES FROM \((.+)\) TO \((.+)\)$') b(bound)
  where i.inhparent = 'private.webhook_events'::regclass
  order by 2;
$$;
comment on function private.webhook_event_partitions() is
  'The partitions of private.webhook_events with the instants they cover: [starts_at, ends_at), '
  'starts_at -infinity for the oldest (the unpartitioned table, then the kept events).';

create or replace function private.create_webhook_event_partition(day date)
returns regclass
language plpgsql
set search_path = ''
as $$
declare
  partition_name text := 'webhook_events_p' || to_char(day, 'YYYYMMDD');
  existing regclass := to_regclass('private.' || partition_name);
begin
  if day is null then
    raise exception 'day is required' using errcode = '22023';
  end if;
  if existing is not null then
    return existing;
  end if;
  execute format(
    'create table private.%I partition of private.webhook_events for values from (%L) to (%L)',
    partition_name, day::timestamp at time zone 'UTC', (day + 1)::timestamp at time zone 'UTC');
  execute format('alter table private.%I enable row level security', partition_name);
  execute format('revoke all on private.%I from public, anon, authenticated, service_role',
                 partition_name);
  execute format('create index on private.%I (id)', partition_name);
  execute format(
    'create index on private.%I (received_at) where status in (''received'', ''failed'')',
    partition_name);
  return to_regclass('private.' || partition_name);
end;
$$;
comment on function private.create_webhook_event_partition(date) is
  'Creates the partition of private.webhook_events for one UTC day (if missing), with its indexes '
  'on id and on the events still to process, RLS on and no API role privileges. Returns it. '
  'Fails if another partition already covers part of that day.';

create or replace function private.ensure_webhook_event_partitions(at timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  first_day date := (at at time zone 'UTC')::date;
  days_ahead integer := private.setting_numeric('webhook_event_partition_days_ahead');
  day date;
  created integer := 0;
begin
  if days_ahead is null or days_ahead < 1 then
    raise exception 'setting webhook_event_partition_days_ahead must be at least 1'
      using errcode = '55000';
  end if;
  for day in
    select d::date from generate_series(first_day, first_day + days_ahead, interval '1 day') d
  loop
    if not exists (
      select 1 from private.webhook_event_partitions() p
      where p.starts_at < (day + 1)::timestamp at time zone 'UTC'
        and p.ends_at > day::timestamp at time zone 'UTC'
    ) then
      perform private.create_webhook_event_partition(day);
      created := created + 1;
    end if;
  end loop;
  return created;
end;
$$;
comment on function private.ensure_webhook_event_partitions(timestamptz) is
  'Creates the missing daily partitions of private.webhook_events from the UTC day of `at` to '
  'webhook_event_partition_days_ahead days after it. Returns how many it created.';

create or replace view public.webhook_health
with (security_invoker = true)
as
select
  w.id as workspace_id,
  w.connection_id,
  w.name as workspace_name,
  stats.last_event_at,
  coalesce(stats.events_24h, 0) as events_24h,
  coalesce(stats.failures_24h, 0) as failures_24h,
  coalesce(stats.unknown_types_24h, 0) as unknown_types_24h
from public.workspaces w
left join lateral (
  select
    max(e.received_at) as last_event_at,
    count(*) filter (where e.received_at >= now() - interval '24 hours') as events_24h,
    count(*) filter (where e.received_at >= now() - interval '24 hours'
                       and e.status = 'failed') as failures_24h,
    count(*) filter (where e.received_at >= now() - interval '24 hours'
                       and e.status = 'unknown_type') as unknown_types_24h
  from private.webhook_events e
  where e.workspace_id = w.id
) stats on true;

-- Functions whose variables or arguments have the table's row type are defined again for the new
-- table (and their old versions, tied to the renamed one, dropped).
create or replace function private.apply_webhook_event(event private.webhook_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
  data jsonb := coalesce(event.payload -> 'data', '{}'::jsonb);
  kind private.webhook_event_types := private.webhook_event_type(event.event_type);
  v_metric text := kind.metric;
  v_local_day date;
  v_reply_time timestamptz := coalesce(
    private.jsonb_timestamptz(data #> '{reply,date_received}'), event.occurred_at);
  v_mailbox_id bigint;
  v_campaign_id bigint;
  v_campaign_name text;
  v_lead_id bigint;
  v_reply_id bigint;
  v_reply_campaign_id bigint;
  v_was_interested boolean;
  v_interested boolean;
  v_bison_campaign_id bigint := private.jsonb_bigint(data #> '{campaign,id}');
  v_bison_lead_id bigint := private.jsonb_bigint(data #> '{lead,id}');
  v_bison_reply_id bigint := private.jsonb_bigint(data #> '{reply,id}');
begin
  if kind.event_type is null then
    return 'unknown_type';
  end if;
  if event.workspace_id is null then
    raise exception 'the event has no usable event.workspace_id, so it belongs to no workspace';
  end if;
  v_local_day := private.local_day(event.workspace_id, event.occurred_at);

  if jsonb_typeof(data -> 'sender_email') = 'object' then
    v_mailbox_id := private.upsert_sender_email_from_webhook(event, data -> 'sender_email');
  end if;

  -- Campaign rows are shared by every event of a campaign: only written when new or renamed.
  if v_bison_campaign_id is not null then
    select c.id, c.name into v_campaign_id, v_campaign_name from public.campaigns c
    where c.workspace_id = event.workspace_id and c.bison_campaign_id = v_bison_campaign_id;
    if v_campaign_id is null then
      insert into public.campaigns as c (workspace_id, bison_campaign_id, name)
      values (event.workspace_id, v_bison_campaign_id,
              nullif(btrim(data #>> '{campaign,name}'), ''))
      on conflict (workspace_id, bison_campaign_id) do update set name = coalesce(excluded.name, c.name)
      returning id into v_campaign_id;
    elsif nullif(btrim(data #>> '{campaign,name}'), '') is distinct from v_campaign_name
          and nullif(btrim(data #>> '{campaign,name}'), '') is not null then
      update public.campaigns set name = btrim(data #>> '{campaign,name}'), updated_at = now()
      where id = v_campaign_id;
    end if;
  end if;

  if v_bison_lead_id is not null and kind.lead_status is not null then
    insert into public.leads as l (
      workspace_id, bison_lead_id, email, first_name, last_name, company, title, status,
      first_contacted_at, first_replied_at, interested_at, bounced_at, unsubscribed_at
    ) values (
      event.workspace_id, v_bison_lead_id,
      lower(nullif(btrim(data #>> '{lead,email}'), '')),
      data #>> '{lead,first_name}', data #>> '{lead,last_name}',
      data #>> '{lead,company}', data #>> '{lead,title}',
      kind.lead_status,
      case when kind.first_contact then event.occurred_at end,
      case when kind.lead_status in ('replied', 'interested') then v_reply_time end,
      case when kind.lead_status = 'interested' then event.occurred_at end,
      case when kind.lead_status = 'bounced' then event.occurred_at end,
      case when kind.lead_status = 'unsubscribed' then event.occurred_at end
    )
    on conflict (workspace_id, bison_lead_id) do update set
      email = coalesce(excluded.email, l.email),
      first_name = coalesce(excluded.first_name, l.first_name),
      last_name = coalesce(excluded.last_name, l.last_name),
      company = coalesce(excluded.company, l.company),
      title = coalesce(excluded.title, l.title),
      status = private.next_lead_status(l.status, excluded.status),
      first_contacted_at = coalesce(l.first_contacted_at, excluded.first_contacted_at),
      first_replied_at = coalesce(l.first_replied_at, excluded.first_replied_at),
      interested_at = coalesce(l.interested_at, excluded.interested_at),
      bounced_at = coalesce(l.bounced_at, excluded.bounced_at),
      unsubscribed_at = coalesce(l.unsubscribed_at, excluded.unsubscribed_at),
      updated_at = now()
    -- Most events (another send, an open) change nothing about a known lead: no write then.
    where l.status is distinct from private.next_lead_status(l.status, excluded.status)
       or (l.email is null and excluded.email is not null)
       or (l.first_name is null and excluded.first_name is not null)
       or (l.first_contacted_at is null and excluded.first_contacted_at is not null)
       or (l.first_replied_at is null and excluded.first_replied_at is not null)
       or (l.interested_at is null and excluded.interested_at is not null)
       or (l.bounced_at is null and excluded.bounced_at is not null)
       or (l.unsubscribed_at is null and excluded.unsubscribed_at is not null)
    returning id into v_lead_id;
    if v_lead_id is null then
      select l.id into v_lead_id from public.leads l
      where l.workspace_id = event.workspace_id and l.bison_lead_id = v_bison_lead_id;
    end if;
  end if;

  if v_bison_reply_id is not null and kind.stores_reply then
    v_interested := kind.lead_status = 'interested'
      or coalesce(private.jsonb_boolean(data #> '{reply,interested}'), false)
      or coalesce(private.jsonb_boolean(data #> '{lead,interested}'), false);
    -- The row exists, then is locked and read, so that of two events racing on one reply only
    -- one sees it become interested.
    insert into public.replies (connection_id, workspace_id, bison_reply_id)
    values (event.connection_id, event.workspace_id, v_bison_reply_id)
    on conflict (connection_id, bison_reply_id) do nothing;
    select r.id, r.interested into v_reply_id, v_was_interested
    from public.replies r
    where r.connection_id = event.connection_id and r.bison_reply_id = v_bison_reply_id
    for update;
    update public.replies r set
      bison_uuid = coalesce(r.bison_uuid, data #>> '{reply,uuid}'),
      lead_id = coalesce(r.lead_id, v_lead_id),
      campaign_id = coalesce(r.campaign_id, v_campaign_id),
      sender_email_id = coalesce(r.sender_email_id, v_mailbox_id),
      received_at = coalesce(r.received_at, v_reply_time),
      subject = coalesce(r.subject, data #>> '{reply,email_subject}', data #>> '{reply,subject}'),
      text_body = coalesce(r.text_body, data #>> '{reply,text_body}'),
      from_email = coalesce(r.from_email,
                            lower(nullif(btrim(data #>> '{reply,from_email_address}'), ''))),
      interested = r.interested or v_interested,
      interested_at = case when not r.interested and v_interested then event.occurred_at
                           else r.interested_at end,
      automated = r.automated
        or coalesce(private.jsonb_boolean(data #> '{reply,automated_reply}'), false),
      updated_at = now()
    where r.id = v_reply_id
    returning r.campaign_id into v_reply_campaign_id;
    -- Interest is counted when the reply becomes interested (by this event or another), never
    -- twice: raw events (and their keys) are pruned after the retention, and a catch-up may
    -- replay an old interested reply.
    if v_metric = 'interested' then
      v_metric := null;
    end if;
  end if;

  -- The day rows are the contended ones: counted last, atomically, so their row locks are held
  -- only until the commit that follows.
  if v_metric is not null then
    perform private.increment_daily_metric(event.workspace_id, v_campaign_id, v_local_day,
                                           v_metric, event.occurred_at);
  end if;
  if v_interested and not v_was_interested then
    perform private.increment_daily_metric(event.workspace_id, v_reply_campaign_id, v_local_day,
                                           'interested', event.occurred_at);
  end if;
  return 'processed';
end;
$$;
comment on function private.apply_webhook_event(private.webhook_events) is
  'Derives everything from one stored event, as private.webhook_event_types says its type '
  'means: mailbox (private.merge_sender_emails), campaign, lead (forward-only status), reply, '
  'and +1 on the workspace and campaign day rows of its reporting day (private.local_day), '
  'as of when it happened (Bison''s numbers of that day may hold it already). '
  'Interest is counted once, when a reply becomes interested. Returns processed, or '
  'unknown_type for a type it does not know. Raises on a bug; callers run it in a '
  'subtransaction (private.process_webhook_event).';

-- A webhook's sender_email object (webhook field names) as a snapshot, merged.
create or replace function private.upsert_sender_email_from_webhook(
  event private.webhook_events,
  mailbox jsonb
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  kind private.webhook_event_types := private.webhook_event_type(event.event_type);
  bison_id bigint := private.jsonb_bigint(mailbox -> 'id');
  mailbox_daily_limit bigint := private.jsonb_bigint(mailbox -> 'daily_limit');
  merged_id bigint;
begin
  if bison_id is null then
    return null;
  end if;
  merged_id := (private.merge_sender_emails(event.connection_id, array[row(
    bison_id,
    event.workspace_id,
    lower(nullif(btrim(mailbox ->> 'email'), '')),
    mailbox ->> 'name',
    coalesce(kind.account_status, lower(nullif(btrim(mailbox ->> 'status'), ''))),
    nullif(btrim(mailbox ->> 'type'), ''),
    case when mailbox_daily_limit between 0 and 2147483647 then mailbox_daily_limit::integer end,
    null,
    private.jsonb_bigint(mailbox -> 'emails_sent'),
    private.jsonb_bigint(mailbox -> 'replied'),
    private.jsonb_bigint(mailbox -> 'opened'),
    private.jsonb_bigint(mailbox -> 'unsubscribed'),
    private.jsonb_bigint(mailbox -> 'bounced'),
    private.jsonb_bigint(mailbox -> 'unique_replies'),
    private.jsonb_bigint(mailbox -> 'unique_opens'),
    private.jsonb_bigint(mailbox -> 'total_leads_contacted'),
    private.jsonb_bigint(mailbox -> 'interested'),
    private.jsonb_timestamptz(mailbox -> 'updated_at'),
    null,
    case when kind.account_status is not null then event.occurred_at end,
    case when kind.warmup_disabled then event.occurred_at end,
    null
  )::private.mailbox_snapshot]))[1];
  if merged_id is null then
    select s.id into merged_id from public.sender_emails s
    where s.connection_id = event.connection_id and s.bison_sender_email_id = bison_id;
  end if;
  return merged_id;
end;
$$;
comment on function private.upsert_sender_email_from_webhook(private.webhook_events, jsonb) is
  'Merges a webhook''s sender_email object (webhook field names) through '
  'private.merge_sender_emails; an account event''s type sets the status '
  '(private.webhook_event_types.account_status) at the time it happened. Returns the mailbox row '
  'id, or null (nothing written) when the object has no usable id.';

create or replace function private.process_webhook_event(event_id bigint)
returns text
language plpgsql
set search_path = ''
as $$
declare
  event private.webhook_events;
  outcome text;
  failure text;
begin
  select * into event from private.webhook_events e where e.id = event_id for update;
  if not found then
    raise exception 'no webhook event with id %', event_id using errcode = 'P0002';
  end if;
  -- Checked under the row lock: a concurrent reprocess may have applied it while we waited.
  if event.status not in ('received', 'failed') then
    return event.status;
  end if;
  begin
    outcome := private.apply_webhook_event(event);
  exception when others then
    get stacked diagnostics failure = message_text;
    outcome := 'failed';
  end;
  update private.webhook_events e
  set status = outcome,
      error = case when outcome = 'failed' then left(failure, 2000) end,
      attempts = e.attempts + 1,
      processed_at = now()
  where e.id = event_id and e.received_at = event.received_at;
  return outcome;
end;
$$;
comment on function private.process_webhook_event(bigint) is
  'Applies a stored event in a subtransaction and records the outcome (processed, unknown_type, '
  'or failed with the error). Never raises for a processing failure: the raw event stays. An '
  'event already processed (or of unknown type) is left as it is and its status returned, so '
  'overlapping reprocess runs never apply it twice.';

create or replace function private.ingest_event(connection_id uuid, payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_connection_id uuid := ingest_event.connection_id;
  v_event_type text := lower(btrim(payload #>> '{event,type}'));
  v_bison_workspace_id bigint := private.jsonb_bigint(payload #> '{event,workspace_id}');
  v_workspace_name text := nullif(btrim(payload #>> '{event,workspace_name}'), '');
  v_workspace_id bigint;
  v_stored_name text;
  v_key text;
  v_occurred_at timestamptz;
  v_event private.webhook_events;
  v_outcome text;
  v_failure text;
  v_event_id bigint;
begin
  if jsonb_typeof(payload) <> 'object' or coalesce(v_event_type, '') = '' then
    raise exception 'a Bison event needs an object body with event.type'
      using errcode = '22023';
  end if;

  if v_bison_workspace_id is not null then
    select w.id, w.name into v_workspace_id, v_stored_name from public.workspaces w
    where w.connection_id = v_connection_id
      and w.bison_workspace_id = v_bison_workspace_id;
    if v_workspace_id is null then
      -- An unknown workspace is created rather than refused, and flagged for a human to review.
      insert into public.workspaces (connection_id, bison_workspace_id, name, needs_review)
      values (v_connection_id, v_bison_workspace_id, v_workspace_name, true)
      on conflict on constraint workspaces_connection_id_bison_workspace_id_key do nothing
      returning id into v_workspace_id;
      if v_workspace_id is null then
        select w.id into v_workspace_id from public.workspaces w
        where w.connection_id = v_connection_id
          and w.bison_workspace_id = v_bison_workspace_id;
      end if;
    elsif v_workspace_name is not null and v_workspace_name is distinct from v_stored_name then
      update public.workspaces set name = v_workspace_name, updated_at = now()
      where id = v_workspace_id;
    end if;
  end if;

  v_key := private.webhook_idempotency_key(v_connection_id, v_bison_workspace_id, v_event_type,
                                           payload -> 'data');
  v_occurred_at := coalesce(private.webhook_event_time(v_event_type, payload -> 'data'), now());

  -- The ledger says whether this delivery was seen before, for as long as the project lives:
  -- the raw event of an old one may be gone with its partition. A concurrent copy waits here for
  -- this transaction, then finds the key.
  insert into private.webhook_event_keys (key_hash, received_at)
  values (private.webhook_event_key_hash(v_key), now())
  on conflict (key_hash) do nothing;
  if not found then
    return jsonb_build_object('outcome', 'duplicate');
  end if;

  -- The common path writes the event once, already processed: the insert and everything derived
  -- from it share a subtransaction. If deriving fails, that subtransaction is undone and the raw
  -- event is stored on its own, marked failed, so it is never lost.
  begin
    insert into private.webhook_events as e (
      connection_id, workspace_id, event_type, idempotency_key, payload, occurred_at, status,
      attempts, processed_at
    ) values (
      v_connection_id, v_workspace_id, v_event_type, v_key, payload, v_occurred_at, 'processed',
      1, now()
    )
    returning e.* into v_event;
    v_outcome := private.apply_webhook_event(v_event);
    if v_outcome <> 'processed' then
      update private.webhook_events e set status = v_outcome
      where e.id = v_event.id and e.received_at = v_event.received_at;
    end if;
    return jsonb_build_object(
      'outcome', v_outcome, 'event_id', v_event.id, 'workspace_id', v_workspace_id);
  exception when others then
    get stacked diagnostics v_failure = message_text;
  end;

  insert into private.webhook_events as e (
    connection_id, workspace_id, event_type, idempotency_key, payload, occurred_at, status,
    error, attempts, processed_at
  ) values (
    v_connection_id, v_workspace_id, v_event_type, v_key, payload, v_occurred_at, 'failed',
    left(v_failure, 2000), 1, now()
  )
  returning e.id into v_event_id;
  return jsonb_build_object(
    'outcome', 'failed', 'event_id', v_event_id, 'workspace_id', v_workspace_id);
end;
$$;
comment on function private.ingest_event(uuid, jsonb) is
  'Stores and processes one Bison event of a connection, whatever brought it (a webhook, or an '
  'emergency catch-up replaying the REST API with the same idempotency keys). A key already in '
  'private.webhook_event_keys is a duplicate, however old. Returns {outcome: duplicate | '
  'processed | unknown_type | failed, event_id, workspace_id}. Raises 22023 for a body without '
  'event.type (nothing stored).';

drop function private.apply_webhook_event(private.webhook_events_unpartitioned);
drop function private.upsert_sender_email_from_webhook(private.webhook_events_unpartitioned, jsonb);

-- The unpartitioned table: attached before its bound (no scan: its CHECK constraint proves it),
-- or dropped when it holds nothing.
do $$
declare
  until timestamptz := (select p.unpartitioned_until from private.webhook_event_partitioning p);
  next_id bigint;
begin
  if exists (select 1 from private.webhook_events_unpartitioned) then
    select max(e.id) + 1 into next_id from private.webhook_events_unpartitioned e;
    execute format('alter table private.webhook_events alter column id restart with %s', next_id);
    execute format(
      'alter table private.webhook_events attach partition private.webhook_events_unpartitioned '
      'for values from (minvalue) to (%L)', until);
    alter table private.webhook_events_unpartitioned
      drop constraint webhook_events_received_before_partitions;
  else
    drop table private.webhook_events_unpartitioned;
  end if;
end
$$;
select private.ensure_webhook_event_partitions();
drop table private.webhook_event_partitioning;
