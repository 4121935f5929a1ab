-- Everything the mirror knows about a Bison event type, in one table the ingest functions read:
-- which day counter it adds to, which lead status it suggests, which mailbox status it sets, how
-- its idempotency key is built and which of its times is "when it happened". Adding a type is a
-- row; adding a counter is a column on both day tables, a row naming it, and
-- private.define_daily_metric_increment(). Ids are normalised before they become keys: "9001",
-- " 9001", "09001" and 9001.0 are one reply.
create table private.webhook_event_types (
  event_type text primary key check (event_type = lower(btrim(event_type))),
  metric text check (metric ~ '^[a-z_]+$'),
  lead_status text check (lead_status in
    ('contacted', 'replied', 'interested', 'bounced', 'unsubscribed')),
  first_contact boolean not null default false,
  account_status text check (account_status in ('connected', 'disconnected', 'removed')),
  warmup_disabled boolean not null default false,
  stores_reply boolean not null default false,
  key_source text not null default 'natural' check (key_source in ('natural', 'tag', 'mailbox')),
  counts_when_marked boolean not null default false,
  description text not null
);
comment on table private.webhook_event_types is
  'The Bison event types the mirror knows. metric: the counter of workspace_daily_metrics and '
  'campaign_daily_metrics it adds 1 to (null: none); lead_status: the lead status it suggests '
  '(null: it does not touch leads); first_contact: it stamps the lead''s first contact; '
  'account_status: the mailbox status it sets; warmup_disabled: it switches warmup off; '
  'stores_reply: its reply object is kept in public.replies; key_source: natural (reply, campaign '
  'event or scheduled email id), tag (tag and taggable ids) or mailbox (mailbox id and '
  'updated_at); counts_when_marked: its time is when it was marked (campaign_event.created_at) '
  'rather than when the reply arrived. A type not listed is stored and reported as unknown.';
alter table private.webhook_event_types enable row level security;
revoke all on private.webhook_event_types from public, anon, authenticated, service_role;
grant select on private.webhook_event_types to service_role;

insert into private.webhook_event_types (event_type, metric, lead_status, first_contact,
  account_status, warmup_disabled, stores_reply, key_source, counts_when_marked, description)
values
  ('email_sent', 'emails_sent', 'contacted', true, null, false, false, 'natural', false,
   'a campaign email is sent'),
  ('lead_first_contacted', 'first_contacts', 'contacted', true, null, false, false, 'natural',
   false, 'a contact gets its first campaign email in the workspace'),
  ('email_opened', 'opens', 'contacted', false, null, false, false, 'natural', false,
   'an open is tracked'),
  ('lead_unsubscribed', 'unsubscribes', 'unsubscribed', false, null, false, false, 'natural',
   false, 'a lead is unsubscribed'),
  ('lead_replied', 'replies', 'replied', false, null, false, true, 'natural', false,
   'a lead emailed from a campaign replies'),
  ('lead_interested', 'interested', 'interested', false, null, false, true, 'natural', true,
   'a reply is marked interested (only the first time Bison marks the lead)'),
  ('email_bounced', 'bounces', 'bounced', false, null, false, false, 'natural', false,
   'a campaign email bounces'),
  ('manual_email_sent', 'manual_emails_sent', 'contacted', false, null, false, false, 'natural',
   false, 'a one-off send, reply or forward from the inbox or API'),
  ('untracked_reply_received', 'untracked_replies', 'contacted', false, null, false, true,
   'natural', false, 'inbound mail not tied to a campaign email'),
  ('email_account_added', null, null, false, 'connected', false, false, 'mailbox', false,
   'a mailbox is connected for the first time'),
  ('email_account_removed', null, null, false, 'removed', false, false, 'mailbox', false,
   'a mailbox is deleted'),
  ('email_account_disconnected', null, null, false, 'disconnected', false, false, 'mailbox',
   false, 'a mailbox disconnects'),
  ('email_account_reconnected', null, null, false, 'connected', false, false, 'mailbox', false,
   'a mailbox reconnects'),
  ('warmup_disabled_causing_bounces', null, null, false, null, true, false, 'mailbox', false,
   'warmup switched off because the mailbox causes bounces'),
  ('warmup_disabled_receiving_bounces', null, null, false, null, true, false, 'mailbox', false,
   'warmup switched off because the mailbox receives bounces'),
  ('tag_attached', null, null, false, null, false, false, 'tag', false,
   'a tag is put on a lead, campaign or sender email'),
  ('tag_removed', null, null, false, null, false, false, 'tag', false,
   'a tag is taken off a lead, campaign or sender email');

create or replace function private.webhook_event_type(event_type text)
returns private.webhook_event_types
language plpgsql
stable
set search_path = ''
as $$
declare
  found_type private.webhook_event_types;
begin
  select * into found_type from private.webhook_event_types t
  where t.event_type = webhook_event_type.event_type;
  return found_type;
end;
$$;
comment on function private.webhook_event_type(text) is
  'The row of private.webhook_event_types for a normalised event type; all fields null for a '
  'type the mirror does not know.';

create or replace function private.normalised_id(value jsonb)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return coalesce(private.jsonb_bigint(value)::text, nullif(lower(btrim(value #>> '{}')), ''));
end;
$$;
comment on function private.normalised_id(jsonb) is
  'A Bison id as one text, however it was sent: a number or numeric string (spaces, leading '
  'zeros and a .0 fraction dropped: "09001", " 9001" and 9001.0 are 9001), else the trimmed, '
  'lower-case text; null when absent or empty.';

create or replace function private.webhook_idempotency_key(
  connection_id uuid,
  bison_workspace_id bigint,
  event_type text,
  data jsonb
)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  key_source text := (private.webhook_event_type(event_type)).key_source;
  mailbox_updated_at timestamptz := private.jsonb_timestamptz(data #> '{sender_email,updated_at}');
begin
  return connection_id::text || ':' || coalesce(bison_workspace_id::text, '-') || ':'
    || event_type || ':' || coalesce(
      case
        when key_source = 'tag' and data ? 'tag_id' then
          'tag:' || coalesce(private.normalised_id(data -> 'tag_id'), '') || ':'
            || coalesce(lower(btrim(data ->> 'taggable_type')), '') || ':'
            || coalesce(private.normalised_id(data -> 'taggable_id'), '')
        when key_source = 'mailbox' and private.normalised_id(data #> '{sender_email,id}') is not null
        then
          'mailbox:' || private.normalised_id(data #> '{sender_email,id}') || ':'
            -- Bison's own format (2024-08-02T06:08:38.000000Z), whatever format it arrived in.
            || coalesce(to_char(mailbox_updated_at at time zone 'UTC',
                                'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                        btrim(data #>> '{sender_email,updated_at}'), '')
        when private.normalised_id(data #> '{reply,id}') is not null then
          'reply:' || private.normalised_id(data #> '{reply,id}')
        when private.normalised_id(data #> '{campaign_event,id}') is not null then
          'campaign_event:' || private.normalised_id(data #> '{campaign_event,id}')
        when private.normalised_id(data #> '{scheduled_email,id}') is not null then
          'scheduled_email:' || private.normalised_id(data #> '{scheduled_email,id}')
      end,
      -- No natural id at all: identical bodies are still the same delivery.
      'body:' || encode(sha256(convert_to(coalesce(data, 'null'::jsonb)::text, 'UTF8')), 'hex')
    );
end;
$$;
comment on function private.webhook_idempotency_key(uuid, bigint, text, jsonb) is
  'The idempotency key of a Bison event, from natural ids normalised by private.normalised_id: '
  'connection + workspace + normalised type + what private.webhook_event_types says the type is '
  'keyed by (tag and taggable ids; mailbox id and updated_at), else its reply / campaign_event / '
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
    case when (private.webhook_event_type(event_type)).counts_when_marked
      then private.jsonb_timestamptz(data #> '{campaign_event,created_at}') end,
    private.jsonb_timestamptz(data #> '{reply,date_received}'),
    private.jsonb_timestamptz(data #> '{campaign_event,created_at}'),
    private.jsonb_timestamptz(data #> '{scheduled_email,sent_at}'),
    private.jsonb_timestamptz(data #> '{sender_email,updated_at}')
  );
end;
$$;
comment on function private.webhook_event_time(text, jsonb) is
  'When a Bison event happened, from the times inside data: for a type counted when marked '
  '(private.webhook_event_types.counts_when_marked: lead_interested), when it was marked; else '
  'when the reply arrived, the campaign event or send happened; null when none.';

-- The day counters: one function adds to (or takes from) a metric of a workspace's and a
-- campaign's day rows. It is generated from the metrics the event types name, so that a new
-- counter needs no hand-written SQL, and stays static plpgsql (planned once per session).
create or replace function private.define_daily_metric_increment()
returns void
language plpgsql
set search_path = ''
as $$
declare
  metrics text[] := array(
    select distinct t.metric from private.webhook_event_types t where t.metric is not null
    union
    select 'interested'
    order by 1);
  missing text;
  metric_values text;
  metric_sets text;
begin
  select string_agg(format('%I.%I', c.table_name, m), ', ') into missing
  from unnest(metrics) m
  cross join (values ('workspace_daily_metrics'), ('campaign_daily_metrics')) c(table_name)
  where not exists (
    select 1 from pg_catalog.pg_attribute a
    where a.attrelid = format('public.%I', c.table_name)::regclass and a.attname = m
      and not a.attisdropped);
  if missing is not null then
    raise exception 'event types name counters the day tables lack: %', missing
      using errcode = '42703', hint = 'Add the column to both day tables first.';
  end if;
  select string_agg(format('case when metric = %L then delta else 0 end', m), ', '),
         string_agg(format('%1$I = m.%1$I + excluded.%1$I', m), ', ')
  into metric_values, metric_sets
  from unnest(metrics) m;

  execute format($function$
    create or replace function private.increment_daily_metric(
      target_workspace_id bigint,
      target_campaign_id bigint,
      target_day date,
      metric text,
      delta integer default 1
    )
    returns void
    language plpgsql
    set search_path = ''
    as $body$
    begin
      if not (metric = any (%L::text[])) then
        raise exception 'unknown day counter: %%', metric using errcode = '22023';
      end if;
      insert into public.workspace_daily_metrics as m (workspace_id, day, %s)
      values (target_workspace_id, target_day, %s)
      on conflict (workspace_id, day) do update set %s, updated_at = now();
      if target_campaign_id is not null then
        insert into public.campaign_daily_metrics as m (campaign_id, day, workspace_id, %s)
        values (target_campaign_id, target_day, target_workspace_id, %s)
        on conflict (campaign_id, day) do update set %s, updated_at = now();
      end if;
    end;
    $body$
  $function$,
    metrics,
    array_to_string(array(select format('%I', m) from unnest(metrics) m), ', '), metric_values,
    metric_sets,
    array_to_string(array(select format('%I', m) from unnest(metrics) m), ', '), metric_values,
    metric_sets);
  execute format($comment$
    comment on function private.increment_daily_metric(bigint, bigint, date, text, integer) is
      'Adds delta (default 1; negative to take back) to one counter (%s) of a workspace''s day '
      'row and, with a campaign, of the campaign''s day row, by atomic upsert. Generated by '
      'private.define_daily_metric_increment() from private.webhook_event_types.'
  $comment$, array_to_string(metrics, ', '));
  revoke all on function private.increment_daily_metric(bigint, bigint, date, text, integer)
    from public, anon, authenticated;
end;
$$;
comment on function private.define_daily_metric_increment() is
  'Regenerates private.increment_daily_metric from the counters private.webhook_event_types '
  'names (plus interested). Raises 42703 when a named counter is missing from a day table. Run '
  'it after adding a counter.';

select private.define_daily_metric_increment();
