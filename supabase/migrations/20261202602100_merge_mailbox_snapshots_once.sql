-- One merge of a mailbox snapshot into public.sender_emails, for webhooks and the inventory poll
-- alike (the two hand-copied upserts differed in > against >=, in guarding daily_limit and in
-- overwriting workspace_id). Its rule, written once: a snapshot at least as new as the stored
-- one (bison_updated_at) wins field by field, fields it lacks keep their stored value; an account
-- event sets the status when it is the latest status change; a removed mailbox comes back only
-- when a complete inventory that started after its removal lists it. Provider and reseller are
-- classified in the same statement, so webhook-created mailboxes are classified too.
create type private.mailbox_snapshot as (
  bison_id bigint,
  workspace_id bigint,
  email text,
  name text,
  status text,
  connection_type text,
  daily_limit integer,
  warmup_enabled boolean,
  emails_sent bigint,
  replied bigint,
  opened bigint,
  unsubscribed bigint,
  bounced bigint,
  unique_replies bigint,
  unique_opens bigint,
  total_leads_contacted bigint,
  interested bigint,
  bison_updated_at timestamptz,
  tags jsonb,
  status_changed_at timestamptz,
  warmup_disabled_at timestamptz,
  seen_at timestamptz
);
comment on type private.mailbox_snapshot is
  'What one source knows of one mailbox: Bison''s fields (null: this source does not say), '
  'bison_updated_at (the snapshot''s age; null: unknown, it never overrides), tags (null: not '
  'given), status_changed_at (an account event: status is set from this time on), '
  'warmup_disabled_at (a warmup-disabled event) and seen_at (a complete inventory that started '
  'then lists it).';

alter table public.sender_emails
  add column missing_inventories integer not null default 0,
  add column removed_by text check (removed_by in ('event', 'inventory'));
comment on column public.sender_emails.missing_inventories is
  'How many complete inventories in a row lacked this mailbox (0 once one lists it again).';
comment on column public.sender_emails.removed_by is
  'What removed the mailbox: an EMAIL_ACCOUNT_REMOVED event, or two agreeing complete '
  'inventories that lacked it. Null while it is not removed.';
update public.sender_emails set removed_by = 'event' where status_group = 'removed';

-- Which providers and resellers a mailbox's tags name, through the editable mapping (exact,
-- case-insensitive names).
create or replace function private.mailbox_tag_signals(tags jsonb)
returns table (providers text[], resellers text[])
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  select array_agg(m.provider), array_agg(m.reseller)
  from jsonb_array_elements(case when jsonb_typeof(tags) = 'array' then tags else '[]' end) t
  join public.mailbox_tag_mappings m
    on lower(m.tag_name) = lower(btrim(coalesce(t ->> 'name', t #>> '{}')));
end;
$$;
comment on function private.mailbox_tag_signals(jsonb) is
  'The providers and resellers that a mailbox''s Bison tags ([{id, name}]) name through '
  'public.mailbox_tag_mappings (exact, case-insensitive names); null arrays when none is mapped.';

create or replace function private.classify_mailbox(connection_type text, tags jsonb)
returns table (provider text, reseller text, problem text)
language sql
stable
set search_path = ''
as $$
  select c.provider, c.reseller, c.problem
  from private.mailbox_tag_signals(tags) s
  cross join lateral private.classify_mailbox(connection_type, s.providers, s.resellers) c;
$$;
comment on function private.classify_mailbox(text, jsonb) is
  'Classifies one mailbox from its connection type and Bison tags ([{id, name}]): the tags are '
  'read by private.mailbox_tag_signals, the decision is private.classify_mailbox(text, text[], '
  'text[]).';

create or replace function private.merge_sender_emails(
  target_connection_id uuid,
  snapshots private.mailbox_snapshot[]
)
returns bigint[]
language plpgsql
set search_path = ''
-- Planned once per session: planning this statement again for every webhook cost more than
-- running it.
set plan_cache_mode = force_generic_plan
as $$
declare
  written bigint[];
begin
  with incoming as (
    select i.* from unnest(snapshots) i where i.bison_id is not null
  ),
  signals as (
    select i.*,
      m.id as stored_id, m.provider as stored_provider, m.reseller as stored_reseller,
      m.classification_problem as stored_problem,
      coalesce(i.connection_type, m.connection_type) as merged_type,
      coalesce(i.tags, m.tags, '[]'::jsonb) as merged_tags,
      -- Classified when new, when its type changes, or when a full inventory brings its tags
      -- (the mapping may have been edited since).
      m.id is null or i.tags is not null
        or (i.connection_type is not null and i.connection_type is distinct from m.connection_type)
        as reclassify,
      case when i.status_changed_at is not null then private.mailbox_status_group(i.status) end
        as account_group
    from incoming i
    -- Lateral with a limit (the key is unique), so that each snapshot finds its row through the
    -- unique index whatever the statistics say: the plan is generic and must suit one webhook as
    -- well as a 17,000-mailbox inventory.
    left join lateral (
      select m.* from public.sender_emails m
      where m.connection_id = target_connection_id and m.bison_sender_email_id = i.bison_id
      limit 1
    ) m on true
  ),
  -- A workspace has a handful of distinct (type, tags) combinations: decide each once.
  decisions as (
    select d.merged_type, d.merged_tags, c.provider, c.reseller, c.problem
    from (select distinct g.merged_type, g.merged_tags from signals g where g.reclassify) d
    cross join lateral private.classify_mailbox(d.merged_type, d.merged_tags) c
  ),
  merged as (
  insert into public.sender_emails as s (
    connection_id, bison_sender_email_id, workspace_id, email, name, status, connection_type,
    daily_limit, warmup_enabled, emails_sent, replied, opened, unsubscribed, bounced,
    unique_replies, unique_opens, total_leads_contacted, interested, bison_updated_at, tags,
    provider, reseller, classification_problem, last_seen_at,
    connected_at, disconnected_at, removed_at, removed_by, warmup_disabled_at
  )
  select target_connection_id, g.bison_id, g.workspace_id, g.email, g.name, g.status,
    g.connection_type, g.daily_limit,
    case when g.warmup_disabled_at is not null then false else g.warmup_enabled end,
    g.emails_sent, g.replied, g.opened, g.unsubscribed, g.bounced, g.unique_replies,
    g.unique_opens, g.total_leads_contacted, g.interested, g.bison_updated_at, g.merged_tags,
    case when g.reclassify then d.provider else g.stored_provider end,
    case when g.reclassify then d.reseller else g.stored_reseller end,
    case when g.reclassify then d.problem else g.stored_problem end,
    g.seen_at,
    case when g.account_group = 'connected' then g.status_changed_at end,
    case when g.account_group = 'disconnected' then g.status_changed_at end,
    case when g.account_group = 'removed' then g.status_changed_at end,
    case when g.account_group = 'removed' then 'event' end,
    g.warmup_disabled_at
  from signals g
  left join decisions d
    on d.merged_type is not distinct from g.merged_type and d.merged_tags = g.merged_tags
  on conflict (connection_id, bison_sender_email_id) do update set
    (workspace_id, email, name, connection_type, daily_limit, emails_sent, replied, opened,
     unsubscribed, bounced, unique_replies, unique_opens, total_leads_contacted, interested,
     tags, warmup_enabled, status, removed_at, removed_by) = (
      select
        -- The rule, written once: a snapshot at least as new as the stored one wins, field by
        -- field; an older one only fills what is unknown.
        case when n.newer then coalesce(excluded.workspace_id, s.workspace_id)
             else coalesce(s.workspace_id, excluded.workspace_id) end,
        case when n.newer then coalesce(excluded.email, s.email)
             else coalesce(s.email, excluded.email) end,
        case when n.newer then coalesce(excluded.name, s.name)
             else coalesce(s.name, excluded.name) end,
        case when n.newer then coalesce(excluded.connection_type, s.connection_type)
             else coalesce(s.connection_type, excluded.connection_type) end,
        case when n.newer then coalesce(excluded.daily_limit, s.daily_limit)
             else coalesce(s.daily_limit, excluded.daily_limit) end,
        case when n.newer then coalesce(excluded.emails_sent, s.emails_sent)
             else coalesce(s.emails_sent, excluded.emails_sent) end,
        case when n.newer then coalesce(excluded.replied, s.replied)
             else coalesce(s.replied, excluded.replied) end,
        case when n.newer then coalesce(excluded.opened, s.opened)
             else coalesce(s.opened, excluded.opened) end,
        case when n.newer then coalesce(excluded.unsubscribed, s.unsubscribed)
             else coalesce(s.unsubscribed, excluded.unsubscribed) end,
        case when n.newer then coalesce(excluded.bounced, s.bounced)
             else coalesce(s.bounced, excluded.bounced) end,
        case when n.newer then coalesce(excluded.unique_replies, s.unique_replies)
             else coalesce(s.unique_replies, excluded.unique_replies) end,
        case when n.newer then coalesce(excluded.unique_opens, s.unique_opens)
             else coalesce(s.unique_opens, excluded.unique_opens) end,
        case when n.newer then coalesce(excluded.total_leads_contacted, s.total_leads_contacted)
             else coalesce(s.total_leads_contacted, excluded.total_leads_contacted) end,
        case when n.newer then coalesce(excluded.interested, s.interested)
             else coalesce(s.interested, excluded.interested) end,
        case when n.newer then excluded.tags else s.tags end,
        case when excluded.warmup_disabled_at is not null then false
             when n.newer then coalesce(excluded.warmup_enabled, s.warmup_enabled)
             else coalesce(s.warmup_enabled, excluded.warmup_enabled) end,
        r.status,
        case when private.mailbox_status_group(r.status) = 'removed'
             then greatest(excluded.removed_at, s.removed_at) end,
        case when private.mailbox_status_group(r.status) <> 'removed' then null
             when n.event_at is not null and n.event_wins then excluded.removed_by
             else s.removed_by end
      from (
        select
          excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity') as newer,
          greatest(excluded.connected_at, excluded.disconnected_at, excluded.removed_at)
            as event_at,
          greatest(excluded.connected_at, excluded.disconnected_at, excluded.removed_at)
            >= coalesce(greatest(s.connected_at, s.disconnected_at, s.removed_at), '-infinity')
            as event_wins,
          s.status_group = 'removed' as was_removed,
          excluded.last_seen_at > coalesce(s.removed_at, '-infinity') as seen_since_removal
      ) n
      cross join lateral (
        select case
          -- An account event sets the status when it is the latest status change.
          when n.event_at is not null then
            case when n.event_wins then excluded.status else s.status end
          -- A removed mailbox stays removed until an inventory taken since lists it again.
          when n.was_removed then
            case when n.seen_since_removal then coalesce(excluded.status, s.status) else s.status end
          when n.newer then coalesce(excluded.status, s.status)
          else s.status
        end as status
      ) r
    ),
    provider = excluded.provider,
    reseller = excluded.reseller,
    classification_problem = excluded.classification_problem,
    bison_updated_at = greatest(excluded.bison_updated_at, s.bison_updated_at),
    connected_at = greatest(excluded.connected_at, s.connected_at),
    disconnected_at = greatest(excluded.disconnected_at, s.disconnected_at),
    warmup_disabled_at = greatest(excluded.warmup_disabled_at, s.warmup_disabled_at),
    last_seen_at = greatest(excluded.last_seen_at, s.last_seen_at),
    missing_inventories = case when excluded.last_seen_at is not null then 0
                               else s.missing_inventories end,
    updated_at = now()
  -- Most webhook events carry an older snapshot than the one stored: no write then, unless it
  -- knows something the stored row does not.
  where excluded.bison_updated_at >= coalesce(s.bison_updated_at, '-infinity')
     or excluded.last_seen_at is not null
     or greatest(excluded.connected_at, excluded.disconnected_at, excluded.removed_at) is not null
     or excluded.warmup_disabled_at is not null
     or excluded.provider is distinct from s.provider
     or excluded.reseller is distinct from s.reseller
     or (s.workspace_id, s.email, s.name, s.connection_type, s.daily_limit, s.emails_sent,
         s.replied, s.opened, s.unsubscribed, s.bounced, s.unique_replies, s.unique_opens,
         s.total_leads_contacted, s.interested, s.warmup_enabled)
        is distinct from
        (coalesce(s.workspace_id, excluded.workspace_id), coalesce(s.email, excluded.email),
         coalesce(s.name, excluded.name), coalesce(s.connection_type, excluded.connection_type),
         coalesce(s.daily_limit, excluded.daily_limit), coalesce(s.emails_sent, excluded.emails_sent),
         coalesce(s.replied, excluded.replied), coalesce(s.opened, excluded.opened),
         coalesce(s.unsubscribed, excluded.unsubscribed), coalesce(s.bounced, excluded.bounced),
         coalesce(s.unique_replies, excluded.unique_replies),
         coalesce(s.unique_opens, excluded.unique_opens),
         coalesce(s.total_leads_contacted, excluded.total_leads_contacted),
         coalesce(s.interested, excluded.interested),
         coalesce(s.warmup_enabled, excluded.warmup_enabled))
  returning s.id
  )
  select coalesce(array_agg(w.id), '{}') into written from merged w;
  return written;
end;
$$;
comment on function private.merge_sender_emails(uuid, private.mailbox_snapshot[]) is
  'The one merge of mailbox snapshots (webhook sender_email objects, complete inventories) into '
  'public.sender_emails of a connection, in one statement. A snapshot at least as new as the '
  'stored one (bison_updated_at) wins field by field and fields it lacks are kept; an older one '
  'only fills unknown fields. An account event (status_changed_at) sets the status when it is '
  'the latest status change; a removed mailbox comes back only when an inventory that started '
  'after its removal lists it (seen_at). Provider and reseller are classified '
  '(private.classify_mailbox) when the mailbox is new, its type changes or an inventory brings '
  'its tags. Rows that would not change are not written. Returns the ids of the rows written.';

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
