-- Applying a stored event reads what its type means from private.webhook_event_types, merges its
-- mailbox through private.merge_sender_emails and counts on the reporting day
-- (private.local_day). Interest is counted when a reply becomes interested, whichever event says
-- so, on the day it became interested (replies.interested_at), so that the reconciliation with
-- Bison can take it back from that same day when Bison un-marks it.
alter table public.replies add column interested_at timestamptz;
comment on column public.replies.interested_at is
  'When the reply became interested as far as the mirror knows (the LEAD_INTERESTED event''s '
  'time, or when the reconciliation with Bison found it marked); null while not interested. '
  'Its local day is the day the reply counts in the interested counters.';
update public.replies set interested_at = coalesce(received_at, created_at) where interested;
comment on table public.replies is
  'Replies by Bison reply id. Subject and text are personal data: readable by members only. '
  'interested follows what Bison says: set by events, and by the reconciliation from Bison''s '
  'replies, which also clears it when Bison no longer marks the reply interested.';

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
                                           v_metric);
  end if;
  if v_interested and not v_was_interested then
    perform private.increment_daily_metric(event.workspace_id, v_reply_campaign_id, v_local_day,
                                           'interested');
  end if;
  return 'processed';
end;
$$;
comment on function private.apply_webhook_event(private.webhook_events) is
  'Derives everything from one stored event, as private.webhook_event_types says its type '
  'means: mailbox (private.merge_sender_emails), campaign, lead (forward-only status), reply, '
  'and +1 on the workspace and campaign day rows of its reporting day (private.local_day). '
  'Interest is counted once, when a reply becomes interested. Returns processed, or '
  'unknown_type for a type it does not know. Raises on a bug; callers run it in a '
  'subtransaction (private.process_webhook_event).';
