-- The hourly interest reconciliation adds to and takes from day rows, and onboarding's backfill
-- writes Bison's own numbers into those same rows. A trigger kept events from adding to a day
-- marked bison_stats, but the boundary day (Bison's numbers until the backfill, plus events since)
-- took anything: every interested reply of that morning that the reconciliation replayed, or that
-- a catch-up or a late delivery brought, was counted a second time until the day was settled, and
-- month-to-date interest doubled on day one.
--
-- One rule now decides, inside the one increment of the day counters: Bison's numbers of a day
-- already hold everything that happened before they were fetched (bison_stats_fetched_at), so a
-- counter Bison reports changes only for what happened after. Every caller says when the change
-- happened: an event when it occurred, the reconciliation when it marks (as_of) or when the reply
-- had become interested (un-marking). A day backfilled or settled after it ended thus takes
-- nothing from events, as the trigger ensured, and the trigger is dropped. Counters Bison does
-- not report (first contacts, manual sends, untracked replies) and campaign day rows keep
-- counting every event.
drop trigger workspace_daily_metrics_keep_bison_stats on public.workspace_daily_metrics;
drop function private.keep_bison_stats_counters();
drop function private.increment_daily_metric(bigint, bigint, date, text, integer);

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
  -- The counters Bison's daily series report (what private.write_bison_day writes).
  bison_counters text[] := array['emails_sent', 'replies', 'interested', 'bounces',
                                 'unsubscribes', 'opens'];
  missing text;
  metric_values text;
  metric_sets text;
  workspace_sets text;
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
         string_agg(format('%1$I = m.%1$I + excluded.%1$I', m), ', '),
         string_agg(
           case when m = any (bison_counters)
             then format('%1$I = m.%1$I + case when m.bison_stats_fetched_at >= happened_at '
                         'then 0 else excluded.%1$I end', m)
             else format('%1$I = m.%1$I + excluded.%1$I', m)
           end, ', ')
  into metric_values, metric_sets, workspace_sets
  from unnest(metrics) m;

  execute format($function$
    create or replace function private.increment_daily_metric(
      target_workspace_id bigint,
      target_campaign_id bigint,
      target_day date,
      metric text,
      happened_at timestamptz,
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
      if happened_at is null then
        raise exception 'when the counted change happened is required' using errcode = '22023';
      end if;
      insert into public.workspace_daily_metrics as m (workspace_id, day, %s)
      values (target_workspace_id, target_day, %s)
      -- Bison's own numbers of a day already hold everything that happened before they were
      -- fetched (a late delivery, a replayed reply): only what happened after adds to them.
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
    workspace_sets,
    array_to_string(array(select format('%I', m) from unnest(metrics) m), ', '), metric_values,
    metric_sets);
  execute format($comment$
    comment on function private.increment_daily_metric(bigint, bigint, date, text, timestamptz,
                                                       integer) is
      'Adds delta (default 1; negative to take back) to one counter (%s) of a workspace''s day '
      'row and, with a campaign, of the campaign''s day row, by atomic upsert, for a change that '
      'happened at happened_at. A counter Bison''s daily series report (%s) of a workspace day '
      'holding Bison''s numbers changes only for what happened after they were fetched '
      '(bison_stats_fetched_at): the rest is in them already. Generated by '
      'private.define_daily_metric_increment() from private.webhook_event_types.'
  $comment$, array_to_string(metrics, ', '), array_to_string(bison_counters, ', '));
  revoke all on function
    private.increment_daily_metric(bigint, bigint, date, text, timestamptz, integer)
    from public, anon, authenticated;
end;
$$;
comment on function private.define_daily_metric_increment() is
  'Regenerates private.increment_daily_metric from the counters private.webhook_event_types '
  'names (plus interested), leaving Bison''s numbers of a day what happened before they were '
  'fetched. Raises 42703 when a named counter is missing from a day table. Run it after adding a '
  'counter.';

select private.define_daily_metric_increment();

comment on column public.workspace_daily_metrics.source is
  'Where the day''s numbers come from: events (webhook events), bison_stats (Bison''s daily '
  'series: a backfilled day, or the settled boundary day) or bison_stats_and_events (the day of '
  'the backfill: Bison''s numbers until then plus what happened since, until the reconciliation '
  'settles it). Counters Bison reports take only what happened after bison_stats_fetched_at '
  '(private.increment_daily_metric).';

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
        'interested', coalesce(reply.interested_at, as_of), -1);
      unmarked_count := unmarked_count + 1;
    else
      update public.replies set interested = true, interested_at = as_of, updated_at = now()
      where id = reply.id;
      perform private.increment_daily_metric(target_workspace_id, reply.campaign_id,
        private.local_day(target_workspace_id, as_of), 'interested', as_of, 1);
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
  'and taken back from the day it was counted on (replies.interested_at), as events count: a '
  'day holding Bison''s numbers fetched after the change is left as Bison reported it; unless '
  'that would '
  'un-mark more than interested_unmark_hold_share_pct of the window''s interested replies (held: '
  'nothing un-marked). Returns how many it marked and un-marked, and whether un-marking was held.';
