-- The first question every morning is "which clients are behind, and why". Each agency (a Bison
-- connection: its workspaces are the agency's clients, its time zone the agency's) gets one Slack
-- message at a configurable local time on its digest days, with a block per client, behind-first:
-- yesterday's sends, replies and interested, the month to date against each target with its
-- pacing, mailboxes disconnected or newly burnt since the last digest, and open pipeline problems.
-- On Mondays a weekly roll-up of the week before follows.
--
-- Messages go through the one way this project posts to Slack: the outbox private.health_alerts,
-- which check-system-health delivers every minute (retrying while Slack fails). A digest is
-- claimed by its (connection, kind, period) key in the transaction that queues it, so a job run
-- twice, or two runs at once, queue it once: the second waits for the first and then finds it
-- taken. Every value from Bison or a user is escaped with private.slack_text.
insert into private.settings (key, value, description) values
  ('digest_local_time', '"08:30"',
   'When the Slack digest is sent, in each agency''s local time (its Bison connection''s '
   'timezone), as HH:MM.'),
  ('digest_weekdays', '[1, 2, 3, 4, 5]',
   'The days the daily Slack digest is sent (ISO weekdays: 1 = Monday ... 7 = Sunday). The '
   'weekly roll-up goes on Mondays whatever this says.')
on conflict (key) do nothing;

create table private.slack_digests (
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  kind text not null check (kind in ('daily', 'weekly')),
  period_start date not null,
  queued_at timestamptz not null default now(),
  messages integer not null default 0,
  burnt_sender_email_ids bigint[] not null default '{}',
  primary key (connection_id, kind, period_start)
);
comment on table private.slack_digests is
  'Each Slack digest queued, per agency (connection), kind and period: daily digests by the local '
  'day they are sent on, weekly roll-ups by the Monday that starts the week they report. The key '
  'makes each one go out once. burnt_sender_email_ids: the mailboxes burnt when it was composed, '
  'so the next digest names only the newly burnt. Kept 60 days.';
alter table private.slack_digests enable row level security;
revoke all on private.slack_digests from public, anon, authenticated, service_role;
grant select on private.slack_digests to service_role;

alter table private.health_alerts drop constraint health_alerts_kind_check;
alter table private.health_alerts add constraint health_alerts_kind_check
  check (kind in ('problems', 'reminder', 'resolved', 'disconnects', 'webhook_repairs',
                  'milestone', 'digest', 'weekly_digest'));

create or replace function private.slack_number(value numeric)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when value is null then '–'
    else regexp_replace(to_char(round(value, 2), 'FM999,999,999,999,990.99'), '\.$', '') end;
$$;
comment on function private.slack_number(numeric) is
  'A number as a digest shows it: thousands separated by commas, at most 2 decimals (1,234; '
  '15.2); a dash for none.';

create or replace function private.slack_list(items text[], shown integer default 5)
returns text
language sql
immutable
set search_path = ''
as $$
  select array_to_string(items[1:shown], ', ')
    || case when cardinality(items) > shown
         then format(' and %s more', cardinality(items) - shown) else '' end;
$$;
comment on function private.slack_list(text[], integer) is
  'The first shown items (already escaped for Slack) joined by commas, and how many more there '
  'are.';

create or replace function private.digest_pacing(target_workspace_id bigint)
returns table (status_rank integer, status_label text, lines text)
language sql
stable
rows 1
set search_path = ''
as $$
  with labels (status, rank, label) as (values
    ('at_risk', 0, ':red_circle: at risk'), ('behind', 1, ':large_orange_circle: behind'),
    ('on_track', 2, ':large_green_circle: on track'), ('ahead', 3, ':rocket: ahead'))
  select coalesce(min(l.rank), 4),
    coalesce((array_agg(l.label order by l.rank))[1], ':white_circle: no target'),
    coalesce(
      format('Month to date (%s of %s sending days):',
        private.slack_number(min(p.sending_days_elapsed)), min(p.sending_days_total))
      || E'\n' || string_agg(
        format('• %s: %s of %s (%s%%), expected %s by now, on pace for %s · %s',
          private.slack_text(initcap(replace(p.metric, '_', ' '))),
          private.slack_number(p.actual_mtd), private.slack_number(p.target),
          private.slack_number(p.of_target_pct), private.slack_number(p.expected_so_far),
          coalesce(private.slack_number(p.projected_month_end), 'no pace yet'), l.label),
        E'\n' order by array_position(array['interested', 'emails_sent', 'replies'], p.metric),
                       p.metric),
      'No target for this month.')
  from public.workspace_pacing p
  join labels l on l.status = p.pacing_status
  where p.workspace_id = target_workspace_id;
$$;
comment on function private.digest_pacing(bigint) is
  'A workspace''s pacing as the Slack digest shows it: the rank of its worst status (0 at risk, '
  '1 behind, 2 on track, 3 ahead, 4 no target), that status as a label, and a line per target of '
  'the running month (interested, emails sent, replies first) from public.workspace_pacing.';

-- private.reporting_period returns one row; without saying so the planner expects a thousand per
-- call, and the digest's per-client query looked costly enough to be compiled (JIT) for a second
-- before running for a tenth of that.
alter function private.reporting_period(bigint, integer, date) rows 1;

create or replace function private.digest_client_sections(
  target_connection_id uuid,
  digest_kind text,
  since timestamptz,
  known_burnt bigint[]
)
returns table (
  workspace_id bigint,
  status_rank integer,
  client text,
  section text,
  burnt_ids bigint[]
)
language sql
stable
set search_path = ''
as $$
  select w.id, pace.status_rank, client.name,
    concat_ws(E'\n',
      format('*%s* · %s', client.name, pace.status_label),
      case when digest_kind = 'daily' then
        format('Yesterday (%s): %s sent · %s replies · %s interested',
          to_char(cur.start, 'Dy FMDD Mon'), private.slack_number(n.sent),
          private.slack_number(n.replies), private.slack_number(n.interested))
      else
        format('Week of %s: %s sent · %s replies (%s%%) · %s interested; the week before: %s sent '
               '· %s replies (%s%%) · %s interested',
          to_char(cur.start, 'Dy FMDD Mon'), private.slack_number(n.sent),
          private.slack_number(n.replies), private.slack_number(private.percent_of(n.replies, n.sent)),
          private.slack_number(n.interested), private.slack_number(n.previous_sent),
          private.slack_number(n.previous_replies),
          private.slack_number(private.percent_of(n.previous_replies, n.previous_sent)),
          private.slack_number(n.previous_interested))
      end,
      pace.lines,
      case when digest_kind = 'daily' and cardinality(disconnected.labels) > 0 then
        format(':electric_plug: %s mailbox(es) disconnected since the last digest: %s',
          cardinality(disconnected.labels), private.slack_list(disconnected.labels))
      end,
      case when digest_kind = 'daily' and cardinality(burnt.new_labels) > 0 then
        format(':fire: %s mailbox(es) burnt since the last digest: %s',
          cardinality(burnt.new_labels), private.slack_list(burnt.new_labels))
      end,
      case when digest_kind = 'daily' then problems.lines end),
    coalesce(burnt.ids, '{}')
  from public.workspaces w
  cross join lateral (select private.slack_text(coalesce(w.name, 'workspace ' || w.id)) as name) client
  cross join lateral private.local_month(w.id) lm
  cross join lateral private.digest_pacing(w.id) pace
  -- Yesterday, or the week (Monday to Sunday) before this one; and the period before that.
  cross join lateral (
    select case when digest_kind = 'daily' then 1 else 7 end as days,
      case when digest_kind = 'daily' then lm.today
           else lm.today - (extract(isodow from lm.today)::integer - 1) end as period_end
  ) span
  cross join lateral private.reporting_period(w.id, span.days, span.period_end) cur
  cross join lateral private.reporting_period(w.id, span.days, cur.start) previous
  cross join lateral (
    select
      coalesce(sum(m.emails_sent) filter (where m.day >= cur.start), 0) as sent,
      coalesce(sum(m.replies) filter (where m.day >= cur.start), 0) as replies,
      coalesce(sum(m.interested) filter (where m.day >= cur.start), 0) as interested,
      coalesce(sum(m.emails_sent) filter (where m.day < cur.start), 0) as previous_sent,
      coalesce(sum(m.replies) filter (where m.day < cur.start), 0) as previous_replies,
      coalesce(sum(m.interested) filter (where m.day < cur.start), 0) as previous_interested
    from public.workspace_daily_metrics m
    where m.workspace_id = w.id and m.day >= previous.start and m.day < cur.end_exclusive
  ) n
  cross join lateral (
    select coalesce(array_agg(private.slack_text(coalesce(s.email, '#' || s.bison_sender_email_id))
                              order by s.email), '{}') as labels
    from public.sender_emails s
    where s.workspace_id = w.id and s.status_group = 'disconnected'
      and s.disconnect_recorded_at >= since
  ) disconnected
  cross join lateral (
    select array_agg(s.id order by s.id) as ids,
      coalesce(array_agg(private.slack_text(coalesce(s.email, '#' || s.bison_sender_email_id))
                         order by s.email) filter (where not (s.id = any (known_burnt))), '{}')
        as new_labels
    from public.sender_emails s
    cross join private.burnt_rule() rule
    where s.workspace_id = w.id and s.status_group <> 'removed'
      and private.is_burnt_mailbox(s.emails_sent, s.unique_replies, rule.min_emails_sent,
                                   rule.below_reply_rate_pct)
  ) burnt
  cross join lateral (
    select string_agg(format('• :warning: %s — %s (%s)', h.check_name, private.slack_text(h.message),
                             h.status), E'\n' order by h.check_name, h.scope) as lines
    from public.system_health h
    where h.workspace_id = w.id and h.status <> 'healthy'
  ) problems
  where w.connection_id = target_connection_id;
$$;
comment on function private.digest_client_sections(uuid, text, timestamptz, bigint[]) is
  'One Slack mrkdwn section per workspace of the connection, for the daily digest (yesterday''s '
  'sends, replies and interested; pacing; mailboxes disconnected since since and burnt but not in '
  'known_burnt; open health problems) or the weekly roll-up (the week before this one and the '
  'week before that; pacing), every value from Bison or a user escaped. Also returns the rank '
  'of the worst pacing status (for behind-first order) and the ids of the mailboxes burnt now.';

create or replace function private.digest_messages(
  digest_kind text,
  title text,
  context text,
  sections text[]
)
returns setof jsonb
language sql
immutable
set search_path = ''
as $$
  -- Slack takes 50 blocks a message and 3,000 characters a section: 45 sections a message.
  with parts as (
    select (u.position - 1) / 45 as part,
      jsonb_agg(jsonb_build_object('type', 'section',
        'text', jsonb_build_object('type', 'mrkdwn', 'text', left(u.section, 2900)))
        order by u.position) as blocks
    from unnest(sections) with ordinality u(section, position)
    group by 1
  )
  select jsonb_build_object(
    'kind', digest_kind,
    'text', title || case when count(*) over () > 1
                       then format(' (%s/%s)', p.part + 1, count(*) over ()) else '' end,
    'blocks', jsonb_build_array(
      jsonb_build_object('type', 'header', 'text', jsonb_build_object('type', 'plain_text',
        'text', left(title || case when count(*) over () > 1
                               then format(' (%s/%s)', p.part + 1, count(*) over ()) else '' end,
                     150))),
      jsonb_build_object('type', 'context', 'elements', jsonb_build_array(
        jsonb_build_object('type', 'mrkdwn', 'text', left(context, 2900)))))
      || p.blocks)
  from parts p
  order by p.part;
$$;
comment on function private.digest_messages(text, text, text, text[]) is
  'Slack Block Kit messages for a digest: a header (title, numbered when the sections take more '
  'than one message), a context line, then the sections (mrkdwn, already escaped), 45 a message.';

create or replace function private.queue_slack_digest(
  target_connection_id uuid,
  digest_kind text,
  first_day date
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  agency record;
  since timestamptz;
  known_burnt bigint[];
  sections text[];
  burnt_now bigint[];
  clients integer;
  at_risk integer;
  behind integer;
  pipeline text;
  message jsonb;
  queued integer := 0;
begin
  insert into private.slack_digests (connection_id, kind, period_start)
  values (target_connection_id, digest_kind, first_day)
  on conflict (connection_id, kind, period_start) do nothing;
  if not found then
    return 0;  -- queued already, by an earlier run or one running beside this one
  end if;
  select c.name, c.timezone into agency from public.bison_connections c
  where c.id = target_connection_id;
  select d.queued_at, d.burnt_sender_email_ids into since, known_burnt
  from private.slack_digests d
  where d.connection_id = target_connection_id and d.kind = 'daily'
    and d.period_start < first_day
  order by d.period_start desc limit 1;

  with client as (
    select * from private.digest_client_sections(target_connection_id, digest_kind,
      coalesce(since, now() - interval '1 day'), coalesce(known_burnt, '{}'))
  )
  select array_agg(c.section order by c.status_rank, c.client, c.workspace_id),
    (select coalesce(array_agg(distinct b.id), '{}') from client, unnest(client.burnt_ids) b(id)),
    count(*), count(*) filter (where c.status_rank = 0), count(*) filter (where c.status_rank = 1)
  into sections, burnt_now, clients, at_risk, behind
  from client c;

  -- Problems of the agency's pipeline as a whole (its connection, the platform).
  select string_agg(format('• :warning: %s — %s (%s)', h.check_name, private.slack_text(h.message),
                           h.status), E'\n' order by h.check_name, h.scope)
  into pipeline
  from public.system_health h
  where h.workspace_id is null and h.status <> 'healthy'
    and (h.connection_id = target_connection_id or h.connection_id is null);
  if digest_kind = 'daily' and pipeline is not null then
    sections := array[':rotating_light: *Pipeline problems*' || E'\n' || pipeline] || sections;
  end if;

  for message in
    select * from private.digest_messages(
      case digest_kind when 'daily' then 'digest' else 'weekly_digest' end,
      case digest_kind
        when 'daily' then 'Daily digest · ' || to_char(first_day, 'Dy FMDD Mon YYYY')
        else 'Weekly roll-up · week of ' || to_char(first_day, 'Dy FMDD Mon YYYY') end,
      format('*%s* · %s client(s), behind first: %s at risk, %s behind · local time %s',
        private.slack_text(agency.name), clients, at_risk, behind,
        private.slack_text(agency.timezone)),
      sections)
  loop
    insert into private.health_alerts (kind, message)
    values (message ->> 'kind', message);
    queued := queued + 1;
  end loop;

  update private.slack_digests d
  set messages = queued,
      burnt_sender_email_ids = case when digest_kind = 'daily' then burnt_now
                                    else d.burnt_sender_email_ids end
  where d.connection_id = target_connection_id and d.kind = digest_kind
    and d.period_start = first_day;
  return 1;
end;
$$;
comment on function private.queue_slack_digest(uuid, text, date) is
  'Queues the Slack digest (kind daily: dated first_day, the local day it is sent; kind '
  'weekly: the week starting on Monday first_day) of one agency (connection) in '
  'private.health_alerts, unless it was queued already; returns 1 when it queued it, else 0. '
  'Mailboxes count as newly disconnected or burnt against the previous daily digest (the last '
  'day before, for the first one).';

create or replace function private.queue_slack_digests()
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  setting jsonb := (select s.value from private.settings s where s.key = 'digest_local_time');
  digest_time time;
  digest_days integer[] := private.setting_numbers('digest_weekdays')::integer[];
  agency record;
  local_now timestamp;
  daily integer := 0;
  weekly integer := 0;
begin
  if jsonb_typeof(setting) is distinct from 'string'
     or setting #>> '{}' !~ '^([01]?[0-9]|2[0-3]):[0-5][0-9]$' then
    raise exception 'setting digest_local_time must be a local time as "HH:MM"'
      using errcode = '55000';
  end if;
  digest_time := (setting #>> '{}')::time;
  if not private.slack_configured() then
    return jsonb_build_object('slack', 'not configured', 'daily', 0, 'weekly', 0);
  end if;
  for agency in
    select c.id, c.timezone from public.bison_connections c
    where c.disconnected_at is null
      and exists (select 1 from public.workspaces w where w.connection_id = c.id)
    order by c.name
  loop
    local_now := now() at time zone agency.timezone;
    continue when local_now::time < digest_time;
    if extract(isodow from local_now)::integer = any (digest_days) then
      daily := daily + private.queue_slack_digest(agency.id, 'daily', local_now::date);
    end if;
    if extract(isodow from local_now) = 1 then
      weekly := weekly + private.queue_slack_digest(agency.id, 'weekly', local_now::date - 7);
    end if;
  end loop;
  delete from private.slack_digests d where d.queued_at < now() - interval '60 days';
  return jsonb_build_object('slack', 'configured', 'daily', daily, 'weekly', weekly);
end;
$$;
comment on function private.queue_slack_digests() is
  'Run every minute by the slack-digest job: for every connected agency (Bison connection) whose '
  'local time (the connection''s timezone) has reached digest_local_time, queues today''s daily '
  'digest on the digest_weekdays, and on Mondays the weekly roll-up of the week before, each '
  'once (private.queue_slack_digest). Nothing is queued while no Slack webhook is configured. '
  'Raises 55000 for an invalid digest_local_time or digest_weekdays.';

create or replace function private.schedule_slack_digest()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.schedule_job('slack-digest', '* * * * *',
    'select private.queue_slack_digests()');
end;
$$;
comment on function private.schedule_slack_digest() is
  'Idempotently (re)creates the pg_cron job slack-digest (every minute: queues each agency''s '
  'digest once its local digest time has come; check-system-health delivers it).';

select private.schedule_slack_digest();
