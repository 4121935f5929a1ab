-- Webhook ingest in one round trip: authenticate the connection by token hash, find or create the
-- workspace, store the raw event once under its idempotency key, then derive everything from it
-- in a subtransaction whose failure marks the event failed instead of losing it.

-- The helpers on the ingest path are plpgsql, not sql: a sql function with a fixed search_path is
-- never inlined, and its body is parsed and planned again in every transaction that calls it (so
-- for every event), which cost more than the whole insert. plpgsql keeps its plans per session.

-- Bison sends counters as numbers or as strings; anything else becomes null, never an error.
create or replace function private.jsonb_bigint(value jsonb)
returns bigint
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  digits text := case jsonb_typeof(value)
    when 'number' then value::text
    when 'string' then btrim(value #>> '{}')
  end;
begin
  -- At most 18 digits always fits a bigint; counted apart because a bounded repeat like \d{1,18}
  -- makes PostgreSQL's regex engine many times slower.
  if digits ~ '^-?\d+(\.0+)?$' and length(ltrim(split_part(digits, '.', 1), '-')) <= 18 then
    return split_part(digits, '.', 1)::bigint;
  end if;
  return null;
end;
$$;
comment on function private.jsonb_bigint(jsonb) is
  'A JSON number or numeric string (at most 18 digits, no fraction) as bigint; null for anything '
  'else (never raises).';

create or replace function private.jsonb_timestamptz(value jsonb)
returns timestamptz
language plpgsql
stable
strict
set search_path = ''
as $$
declare
  stamp text := case when jsonb_typeof(value) = 'string' then value #>> '{}' end;
begin
  -- The shape check keeps out what the cast would also accept ('now', 'epoch', 'infinity', ...);
  -- the cast then rejects impossible values (2026-02-30, an offset of +20:00) in a subtransaction
  -- that writes nothing, which costs far less than a regex capturing every field. Hour 24 is
  -- refused here: the cast would read 24:00 as the next day's midnight.
  if stamp ~ '^(?:19|20|21)\d\d-[01]\d-[0-3]\d[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-][0-2]\d(?::?[0-5]\d)?)?$'
  then
    return stamp::timestamptz;
  end if;
  return null;
exception when data_exception then
  return null;
end;
$$;
comment on function private.jsonb_timestamptz(jsonb) is
  'An ISO-8601 JSON string (years 1900-2199) as timestamptz; null for anything else (never '
  'raises). Stable: a time without a zone is read in the session time zone.';

create or replace function private.jsonb_boolean(value jsonb)
returns boolean
language plpgsql
immutable
strict
set search_path = ''
as $$
begin
  return case jsonb_typeof(value)
    when 'boolean' then value::text::boolean
    when 'number' then value::text not in ('0', '0.0')
    when 'string' then lower(btrim(value #>> '{}')) in ('true', '1', 'yes')
  end;
end;
$$;
comment on function private.jsonb_boolean(jsonb) is
  'A JSON boolean, 0/1 or "true"/"false" string as boolean; null when absent.';

create or replace function private.webhook_idempotency_key(
  connection_id uuid,
  bison_workspace_id bigint,
  event_type text,
  data jsonb
)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return connection_id::text || ':' || coalesce(bison_workspace_id::text, '-') || ':'
    || event_type || ':' || coalesce(
      case
        when event_type in ('tag_attached', 'tag_removed') and data ? 'tag_id' then
          'tag:' || coalesce(data ->> 'tag_id', '') || ':' || coalesce(data ->> 'taggable_type', '')
            || ':' || coalesce(data ->> 'taggable_id', '')
        when (event_type like 'email_account_%' or event_type like 'warmup_disabled_%')
             and data #>> '{sender_email,id}' is not null then
          'mailbox:' || (data #>> '{sender_email,id}') || ':'
            || coalesce(data #>> '{sender_email,updated_at}', '')
        when data #>> '{reply,id}' is not null then 'reply:' || (data #>> '{reply,id}')
        when data #>> '{campaign_event,id}' is not null then
          'campaign_event:' || (data #>> '{campaign_event,id}')
        when data #>> '{scheduled_email,id}' is not null then
          'scheduled_email:' || (data #>> '{scheduled_email,id}')
      end,
      -- No natural id at all: identical bodies are still the same delivery.
      'body:' || encode(sha256(convert_to(coalesce(data, 'null'::jsonb)::text, 'UTF8')), 'hex')
    );
end;
$$;
comment on function private.webhook_idempotency_key(uuid, bigint, text, jsonb) is
  'The idempotency key of a Bison event, from natural ids (bison-api.md): connection + workspace '
  '+ normalised type + tag ids / mailbox id and updated_at / reply id / campaign_event id / '
  'scheduled_email id, else a hash of data. Retries and parent-workspace copies share it.';

create or replace function private.webhook_event_time(event_type text, data jsonb)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce(
    -- A reply is marked interested after it arrived: count it on the day it was marked.
    case when event_type = 'lead_interested'
      then private.jsonb_timestamptz(data #> '{campaign_event,created_at}') end,
    private.jsonb_timestamptz(data #> '{reply,date_received}'),
    private.jsonb_timestamptz(data #> '{campaign_event,created_at}'),
    private.jsonb_timestamptz(data #> '{scheduled_email,sent_at}'),
    private.jsonb_timestamptz(data #> '{sender_email,updated_at}')
  );
end;
$$;
comment on function private.webhook_event_time(text, jsonb) is
  'When a Bison event happened, from the times inside data (for lead_interested, when it was '
  'marked; else when the reply arrived, the campaign event or send happened); null when none.';

create or replace function private.next_lead_status(current_status text, event_status text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case
    when current_status in ('bounced', 'unsubscribed') then current_status
    when event_status in ('bounced', 'unsubscribed') then event_status
    when array_position(array['contacted', 'replied', 'interested'], event_status)
       > array_position(array['contacted', 'replied', 'interested'], current_status)
      then event_status
    else coalesce(current_status, event_status)
  end;
end;
$$;
comment on function private.next_lead_status(text, text) is
  'Forward-only lead pipeline: contacted -> replied -> interested; bounced and unsubscribed are '
  'terminal. Returns the status after an event suggesting event_status.';

create or replace function private.upsert_sender_email_from_webhook(
  event private.webhook_events,
  mailbox jsonb
)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  account_status text := case event.event_type
    when 'email_account_added' then 'connected'
    when 'email_account_reconnected' then 'connected'
    when 'email_account_disconnected' then 'disconnected'
    when 'email_account_removed' then 'removed'
  end;
  warmup_disabled boolean := event.event_type like 'warmup_disabled_%';
  bison_id bigint := private.jsonb_bigint(mailbox -> 'id');
  mailbox_daily_limit bigint := private.jsonb_bigint(mailbox -> 'daily_limit');
  mailbox_id bigint;
begin
  if bison_id is null then
    return null;
  end if;
  insert into public.sender_emails as s (
    connection_id, bison_sender_email_id, workspace_id, email, name, status, connection_type,
    daily_limit, emails_sent, replied, opened, unsubscribed, bounced, unique_replies,
    unique_opens, total_leads_contacted, interested, bison_updated_at,
    connected_at, disconnected_at, removed_at, warmup_enabled, warmup_disabled_at
  )
  values (
    event.connection_id,
    bison_id,
    event.workspace_id,
    lower(nullif(btrim(mailbox ->> 'email'), '')),
    mailbox ->> 'name',
    coalesce(account_status, lower(nullif(btrim(mailbox ->> 'status'), ''))),
    nullif(btrim(mailbox ->> 'type'), ''),
    case when mailbox_daily_limit between 0 and 2147483647 then mailbox_daily_limit::integer end,
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
    case when account_status = 'connected' then event.occurred_at end,
    case when account_status = 'disconnected' then event.occurred_at end,
    case when account_status = 'removed' then event.occurred_at end,
    case when warmup_disabled then false end,
    case when warmup_disabled then event.occurred_at end
  )
  on conflict (connection_id, bison_sender_email_id) do update set
    workspace_id = coalesce(excluded.workspace_id, s.workspace_id),
    email = coalesce(excluded.email, s.email),
    name = coalesce(excluded.name, s.name),
    -- An account event sets the status when it is the latest status change; any other event's
    -- snapshot of the mailbox only when that snapshot is newer than the stored one.
    status = case
      when account_status is not null then
        case when event.occurred_at >= coalesce(
               greatest(s.connected_at, s.disconnected_at, s.removed_at), '-infinity')
             then account_status else s.status end
      when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
        then coalesce(excluded.status, s.status)
      else s.status
    end,
    connection_type = coalesce(excluded.connection_type, s.connection_type),
    daily_limit = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.daily_limit, s.daily_limit) else s.daily_limit end,
    emails_sent = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.emails_sent, s.emails_sent) else s.emails_sent end,
    replied = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.replied, s.replied) else s.replied end,
    opened = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.opened, s.opened) else s.opened end,
    unsubscribed = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.unsubscribed, s.unsubscribed) else s.unsubscribed end,
    bounced = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.bounced, s.bounced) else s.bounced end,
    unique_replies = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.unique_replies, s.unique_replies) else s.unique_replies end,
    unique_opens = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.unique_opens, s.unique_opens) else s.unique_opens end,
    total_leads_contacted = case
      when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.total_leads_contacted, s.total_leads_contacted)
      else s.total_leads_contacted end,
    interested = case when excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
      then coalesce(excluded.interested, s.interested) else s.interested end,
    bison_updated_at = greatest(excluded.bison_updated_at, s.bison_updated_at),
    connected_at = greatest(excluded.connected_at, s.connected_at),
    disconnected_at = greatest(excluded.disconnected_at, s.disconnected_at),
    removed_at = greatest(excluded.removed_at, s.removed_at),
    warmup_enabled = coalesce(excluded.warmup_enabled, s.warmup_enabled),
    warmup_disabled_at = greatest(excluded.warmup_disabled_at, s.warmup_disabled_at),
    updated_at = now()
  -- Most events repeat a snapshot already stored (or an older one): no write then.
  where account_status is not null
     or warmup_disabled
     or excluded.bison_updated_at > coalesce(s.bison_updated_at, '-infinity')
     or (coalesce(excluded.workspace_id, s.workspace_id), coalesce(excluded.email, s.email),
         coalesce(excluded.name, s.name), coalesce(excluded.connection_type, s.connection_type))
        is distinct from (s.workspace_id, s.email, s.name, s.connection_type)
  returning id into mailbox_id;
  if mailbox_id is null then
    select s.id into mailbox_id from public.sender_emails s
    where s.connection_id = event.connection_id and s.bison_sender_email_id = bison_id;
  end if;
  return mailbox_id;
end;
$$;
comment on function private.upsert_sender_email_from_webhook(private.webhook_events, jsonb) is
  'Applies a webhook''s sender_email object: counters and snapshot fields only when newer than '
  'the stored bison_updated_at; account events set connected/disconnected/removed with the time '
  'they happened when they are the latest status change. Returns the mailbox row id, or null '
  '(nothing written) when the object has no usable id.';

create or replace function private.apply_webhook_event(event private.webhook_events)
returns text
language plpgsql
set search_path = ''
as $$
declare
  data jsonb := coalesce(event.payload -> 'data', '{}'::jsonb);
  v_metric text := case event.event_type
    when 'email_sent' then 'emails_sent'
    when 'lead_first_contacted' then 'first_contacts'
    when 'email_opened' then 'opens'
    when 'lead_replied' then 'replies'
    when 'lead_interested' then 'interested'
    when 'email_bounced' then 'bounces'
    when 'lead_unsubscribed' then 'unsubscribes'
    when 'manual_email_sent' then 'manual_emails_sent'
    when 'untracked_reply_received' then 'untracked_replies'
  end;
  v_lead_status text := case event.event_type
    when 'lead_replied' then 'replied'
    when 'lead_interested' then 'interested'
    when 'email_bounced' then 'bounced'
    when 'lead_unsubscribed' then 'unsubscribed'
    else 'contacted'
  end;
  v_local_day date;
  v_reply_time timestamptz := coalesce(
    private.jsonb_timestamptz(data #> '{reply,date_received}'), event.occurred_at);
  v_mailbox_id bigint;
  v_campaign_id bigint;
  v_campaign_name text;
  v_lead_id bigint;
  v_bison_campaign_id bigint := private.jsonb_bigint(data #> '{campaign,id}');
  v_bison_lead_id bigint := private.jsonb_bigint(data #> '{lead,id}');
  v_bison_reply_id bigint := private.jsonb_bigint(data #> '{reply,id}');
begin
  if v_metric is null
     and event.event_type not in (
       'email_account_added', 'email_account_removed', 'email_account_disconnected',
       'email_account_reconnected', 'warmup_disabled_causing_bounces',
       'warmup_disabled_receiving_bounces', 'tag_attached', 'tag_removed') then
    return 'unknown_type';
  end if;
  if event.workspace_id is null then
    raise exception 'the event has no usable event.workspace_id, so it belongs to no workspace';
  end if;
  v_local_day := (event.occurred_at at time zone private.workspace_timezone(event.workspace_id))::date;

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

  if v_bison_lead_id is not null and event.event_type not in ('tag_attached', 'tag_removed') then
    insert into public.leads as l (
      workspace_id, bison_lead_id, email, first_name, last_name, company, title, status,
      first_contacted_at, first_replied_at, interested_at, bounced_at, unsubscribed_at
    ) values (
      event.workspace_id, v_bison_lead_id,
      lower(nullif(btrim(data #>> '{lead,email}'), '')),
      data #>> '{lead,first_name}', data #>> '{lead,last_name}',
      data #>> '{lead,company}', data #>> '{lead,title}',
      v_lead_status,
      case when event.event_type in ('email_sent', 'lead_first_contacted')
        then event.occurred_at end,
      case when event.event_type in ('lead_replied', 'lead_interested') then v_reply_time end,
      case when event.event_type = 'lead_interested' then event.occurred_at end,
      case when event.event_type = 'email_bounced' then event.occurred_at end,
      case when event.event_type = 'lead_unsubscribed' then event.occurred_at end
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

  -- A reply already known to be interested is not counted again: raw events (and their keys) are
  -- pruned after the retention, but a catch-up may replay an old interested reply.
  if event.event_type = 'lead_interested' and v_bison_reply_id is not null and exists (
    select 1 from public.replies r
    where r.connection_id = event.connection_id and r.bison_reply_id = v_bison_reply_id
      and r.interested
  ) then
    v_metric := null;
  end if;

  if v_bison_reply_id is not null
     and event.event_type in ('lead_replied', 'lead_interested', 'untracked_reply_received') then
    insert into public.replies as r (
      connection_id, workspace_id, bison_reply_id, bison_uuid, lead_id, campaign_id,
      sender_email_id, received_at, subject, text_body, from_email, interested, automated
    ) values (
      event.connection_id, event.workspace_id, v_bison_reply_id, data #>> '{reply,uuid}',
      v_lead_id, v_campaign_id, v_mailbox_id, v_reply_time,
      coalesce(data #>> '{reply,email_subject}', data #>> '{reply,subject}'),
      data #>> '{reply,text_body}',
      lower(nullif(btrim(data #>> '{reply,from_email_address}'), '')),
      event.event_type = 'lead_interested'
        or coalesce(private.jsonb_boolean(data #> '{reply,interested}'), false)
        or coalesce(private.jsonb_boolean(data #> '{lead,interested}'), false),
      coalesce(private.jsonb_boolean(data #> '{reply,automated_reply}'), false)
    )
    on conflict (connection_id, bison_reply_id) do update set
      bison_uuid = coalesce(r.bison_uuid, excluded.bison_uuid),
      lead_id = coalesce(r.lead_id, excluded.lead_id),
      campaign_id = coalesce(r.campaign_id, excluded.campaign_id),
      sender_email_id = coalesce(r.sender_email_id, excluded.sender_email_id),
      received_at = coalesce(r.received_at, excluded.received_at),
      subject = coalesce(r.subject, excluded.subject),
      text_body = coalesce(r.text_body, excluded.text_body),
      from_email = coalesce(r.from_email, excluded.from_email),
      interested = r.interested or excluded.interested,
      automated = r.automated or excluded.automated,
      updated_at = now();
  end if;

  -- The day rows are the contended ones: increment them last, atomically, so their row locks
  -- are held only until the commit that follows.
  if v_metric is not null then
    insert into public.workspace_daily_metrics as m (
      workspace_id, day, emails_sent, first_contacts, opens, replies, interested, bounces,
      unsubscribes, manual_emails_sent, untracked_replies
    ) values (
      event.workspace_id, v_local_day,
      (v_metric = 'emails_sent')::int, (v_metric = 'first_contacts')::int, (v_metric = 'opens')::int,
      (v_metric = 'replies')::int, (v_metric = 'interested')::int, (v_metric = 'bounces')::int,
      (v_metric = 'unsubscribes')::int, (v_metric = 'manual_emails_sent')::int,
      (v_metric = 'untracked_replies')::int
    )
    on conflict (workspace_id, day) do update set
      emails_sent = m.emails_sent + excluded.emails_sent,
      first_contacts = m.first_contacts + excluded.first_contacts,
      opens = m.opens + excluded.opens,
      replies = m.replies + excluded.replies,
      interested = m.interested + excluded.interested,
      bounces = m.bounces + excluded.bounces,
      unsubscribes = m.unsubscribes + excluded.unsubscribes,
      manual_emails_sent = m.manual_emails_sent + excluded.manual_emails_sent,
      untracked_replies = m.untracked_replies + excluded.untracked_replies,
      updated_at = now();

    if v_campaign_id is not null then
      insert into public.campaign_daily_metrics as m (
        campaign_id, day, workspace_id, emails_sent, first_contacts, opens, replies, interested,
        bounces, unsubscribes, manual_emails_sent, untracked_replies
      ) values (
        v_campaign_id, v_local_day, event.workspace_id,
        (v_metric = 'emails_sent')::int, (v_metric = 'first_contacts')::int, (v_metric = 'opens')::int,
        (v_metric = 'replies')::int, (v_metric = 'interested')::int, (v_metric = 'bounces')::int,
        (v_metric = 'unsubscribes')::int, (v_metric = 'manual_emails_sent')::int,
        (v_metric = 'untracked_replies')::int
      )
      on conflict (campaign_id, day) do update set
        emails_sent = m.emails_sent + excluded.emails_sent,
        first_contacts = m.first_contacts + excluded.first_contacts,
        opens = m.opens + excluded.opens,
        replies = m.replies + excluded.replies,
        interested = m.interested + excluded.interested,
        bounces = m.bounces + excluded.bounces,
        unsubscribes = m.unsubscribes + excluded.unsubscribes,
        manual_emails_sent = m.manual_emails_sent + excluded.manual_emails_sent,
        untracked_replies = m.untracked_replies + excluded.untracked_replies,
        updated_at = now();
    end if;
  end if;
  return 'processed';
end;
$$;
comment on function private.apply_webhook_event(private.webhook_events) is
  'Derives everything from one stored event: mailbox, campaign, lead (forward-only status), '
  'reply, and +1 on the workspace and campaign day rows (local day in the workspace time zone). '
  'Returns processed, or unknown_type for a type it does not know. Raises on a bug; callers run '
  'it in a subtransaction (private.process_webhook_event).';

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
  update private.webhook_events
  set status = outcome,
      error = case when outcome = 'failed' then left(failure, 2000) end,
      attempts = attempts + 1,
      processed_at = now()
  where id = event_id;
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
    on conflict (idempotency_key) do nothing
    returning e.* into v_event;
    if v_event.id is null then
      return jsonb_build_object('outcome', 'duplicate');
    end if;
    v_outcome := private.apply_webhook_event(v_event);
    if v_outcome <> 'processed' then
      update private.webhook_events set status = v_outcome where id = v_event.id;
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
  on conflict (idempotency_key) do nothing
  returning e.id into v_event_id;
  if v_event_id is null then
    return jsonb_build_object('outcome', 'duplicate');
  end if;
  return jsonb_build_object(
    'outcome', 'failed', 'event_id', v_event_id, 'workspace_id', v_workspace_id);
end;
$$;
comment on function private.ingest_event(uuid, jsonb) is
  'Stores and processes one Bison event of a connection, whatever brought it (a webhook, or an '
  'emergency catch-up replaying the REST API with the same idempotency keys). Returns {outcome: '
  'duplicate | processed | unknown_type | failed, event_id, workspace_id}. Raises 22023 for a '
  'body without event.type (nothing stored).';

create or replace function private.ingest_webhook_event(token_sha256 text, payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_connection_id uuid;
begin
  select t.connection_id into v_connection_id
  from private.webhook_tokens t where t.token_sha256 = ingest_webhook_event.token_sha256;
  if v_connection_id is null then
    perform private.count_webhook_rejection(null, 'unauthorized');
    return jsonb_build_object('outcome', 'unauthorized');
  end if;
  return private.ingest_event(v_connection_id, payload);
end;
$$;
comment on function private.ingest_webhook_event(text, jsonb) is
  'Stores and processes one Bison webhook delivery. token_sha256 is the hex SHA-256 of the URL '
  'token. Returns {outcome: unauthorized | duplicate | processed | unknown_type | failed, '
  'event_id, workspace_id}. Raises 22023 for a body without event.type (nothing stored). An '
  'unauthorized call stores nothing but is counted in private.webhook_rejections.';

create or replace function private.count_webhook_rejection(connection_id uuid, reason text)
returns void
language sql
set search_path = ''
as $$
  insert into private.webhook_rejections as r (connection_id, hour, reason, deliveries)
  values (connection_id, date_trunc('hour', now()), reason, 1)
  on conflict (connection_id, hour, reason) do update set deliveries = r.deliveries + 1;
$$;
comment on function private.count_webhook_rejection(uuid, text) is
  'Counts one refused delivery for the connection (null: token matched none) in this hour.';

create or replace function private.record_webhook_rejection(token_sha256 text, reason text)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  connection_id uuid;
begin
  select t.connection_id into connection_id
  from private.webhook_tokens t where t.token_sha256 = record_webhook_rejection.token_sha256;
  perform private.count_webhook_rejection(
    connection_id, case when connection_id is null then 'unauthorized' else reason end);
  return connection_id is not null;
end;
$$;
comment on function private.record_webhook_rejection(text, text) is
  'Counts a delivery refused at the edge (payload_too_large, invalid_json, invalid_envelope). '
  'Returns false, and counts it as unauthorized, when the token matches no connection.';

create or replace function private.reprocess_webhook_events(event_ids bigint[] default null)
returns table (outcome text, events bigint)
language plpgsql
set search_path = ''
as $$
begin
  return query
  with candidates as (
    select e.id from private.webhook_events e
    where e.status in ('received', 'failed')
      and (event_ids is null or e.id = any (event_ids))
    order by e.id
  )
  select o.outcome, count(*)
  from candidates c
  cross join lateral (select private.process_webhook_event(c.id) as outcome) o
  group by o.outcome;
end;
$$;
comment on function private.reprocess_webhook_events(bigint[]) is
  'Processes again the stored events that failed (or were never processed), all of them or the '
  'given ids, once the cause is fixed. Processed events are never applied twice. Returns the '
  'count per outcome.';
