-- The health checks, in set-based SQL so that one evaluation over dozens of workspaces and
-- thousands of mailboxes stays well under a second, and the run that records their results,
-- remembers what changed and queues the Slack messages that a human must see.

-- Minutes between two runs of a cron schedule, for the schedules this project writes (and a safe
-- daily default for anything else).
create or replace function private.cron_interval_minutes(schedule text)
returns integer
language sql
immutable
set search_path = ''
as $$
  select case
    when schedule = '* * * * *' then 1
    when schedule ~ '^\*/\d+ \* \* \* \*$' then split_part(split_part(schedule, ' ', 1), '/', 2)::int
    when schedule ~ '^\d+ \* \* \* \*$' then 60
    when schedule ~ '^\d+ \d+ \* \* \*$' then 1440
    else 1440
  end;
$$;
comment on function private.cron_interval_minutes(text) is
  'Minutes between runs of a 5-field cron schedule of the forms this project uses (every N '
  'minutes, hourly, daily); 1440 for anything else.';

create type private.health_check_result as (
  check_name text,
  scope text,
  workspace_id bigint,
  connection_id uuid,
  status text,
  value numeric,
  message text
);
comment on type private.health_check_result is 'One health check''s outcome for one scope.';

create or replace function private.evaluate_health_checks(evaluated_at timestamptz default now())
returns setof private.health_check_result
language plpgsql
stable
set search_path = ''
as $$
declare
  silence_window interval := private.setting_interval('silence_window', interval '30 minutes');
  min_expected numeric := private.setting_numeric('silence_min_expected_per_hour', 6);
  poll_interval interval := private.setting_interval('mailbox_poll_interval', interval '5 minutes');
  disconnected_share numeric := private.setting_numeric('disconnected_share_degraded', 0.05);
  drift_tolerance numeric := private.setting_numeric('drift_tolerance', 0.1);
begin
  -- Webhook silence, against the workspace's own history at this hour of the week.
  return query
  select 'webhook_silence', 'workspace:' || w.id, w.id, w.connection_id,
    case when h.expected >= min_expected and h.weeks_with_traffic >= 3 and r.recent = 0
      then 'down' else 'healthy' end,
    r.recent::numeric,
    case
      when h.expected >= min_expected and h.weeks_with_traffic >= 3 and r.recent = 0 then
        format('no webhook for %s at an hour that usually brings %s an hour',
               silence_window, round(h.expected))
      when h.expected < min_expected then
        format('quiet hour: %s events in the last %s (usually %s an hour)', r.recent,
               silence_window, round(h.expected, 1))
      else format('%s events in the last %s', r.recent, silence_window)
    end
  from public.workspaces w
  cross join lateral (
    select count(*) as recent from private.webhook_events e
    where e.workspace_id = w.id and e.received_at >= evaluated_at - silence_window
      and e.received_at < evaluated_at
  ) r
  cross join lateral (
    select avg(n) as expected, count(*) filter (where n > 0) as weeks_with_traffic
    from generate_series(1, 4) k
    cross join lateral (
      select count(*) as n from private.webhook_events e
      where e.workspace_id = w.id
        and e.received_at >= evaluated_at - make_interval(days => 7 * k) - interval '1 hour'
        and e.received_at < evaluated_at - make_interval(days => 7 * k)
    ) week
  ) h;

  -- Events stored but not processed (a bug to fix, then `bison reprocess`).
  return query
  select 'webhook_failures', 'workspace:' || e.workspace_id, e.workspace_id, max(e.connection_id::text)::uuid,
    'degraded', count(*)::numeric,
    format('%s webhook events failed processing in the last hour', count(*))
  from private.webhook_events e
  where e.status = 'failed' and e.received_at >= evaluated_at - interval '1 hour'
    and e.received_at < evaluated_at and e.workspace_id is not null
  group by e.workspace_id;

  -- Deliveries refused before storage: a broken integration, or a stale URL after a rotation.
  return query
  select 'webhook_rejections', 'connection:' || coalesce(r.connection_id::text, 'unknown'), null::bigint,
    r.connection_id,
    case when sum(r.deliveries) >= 10 then 'degraded' else 'healthy' end, sum(r.deliveries)::numeric,
    format('%s deliveries refused in the last hour', sum(r.deliveries))
  from private.webhook_rejections r
  where r.hour >= date_trunc('hour', evaluated_at) - interval '1 hour'
  group by r.connection_id;

  -- Mailbox inventory freshness and sync errors.
  return query
  select 'mailbox_sync', 'workspace:' || w.id, w.id, w.connection_id,
    case
      when s.consecutive_failures >= 3 then 'down'
      when s.last_complete_sync_at is null
        or s.last_complete_sync_at < evaluated_at - 3 * poll_interval then 'degraded'
      else 'healthy'
    end,
    extract(epoch from evaluated_at - s.last_complete_sync_at)::numeric,
    case
      when s.consecutive_failures >= 3 then
        format('%s syncs failed in a row: %s', s.consecutive_failures, left(s.last_error, 200))
      when s.last_complete_sync_at is null then 'the mailbox inventory was never synced completely'
      when s.last_complete_sync_at < evaluated_at - 3 * poll_interval then
        format('last complete sync %s ago', date_trunc('second', evaluated_at - s.last_complete_sync_at))
      else 'mailbox inventory fresh'
    end
  from private.workspace_api_keys k
  join public.workspaces w on w.id = k.workspace_id
  left join private.workspace_poll_state s on s.workspace_id = k.workspace_id;

  -- Disconnected share and disconnect spikes.
  return query
  select 'mailbox_disconnections', 'workspace:' || m.workspace_id, m.workspace_id,
    max(m.connection_id::text)::uuid,
    case
      when count(*) filter (where m.status = 'disconnected') > 4 * disconnected_share * count(*) then 'down'
      when count(*) filter (where m.status = 'disconnected') > disconnected_share * count(*)
        or count(*) filter (where m.disconnected_at >= evaluated_at - interval '1 hour') >= 5
        then 'degraded'
      else 'healthy'
    end,
    round(count(*) filter (where m.status = 'disconnected')::numeric / count(*), 4),
    format('%s of %s mailboxes disconnected (%s%%), %s in the last hour',
      count(*) filter (where m.status = 'disconnected'), count(*),
      round(100 * count(*) filter (where m.status = 'disconnected')::numeric / count(*), 1),
      count(*) filter (where m.disconnected_at >= evaluated_at - interval '1 hour'))
  from public.sender_emails m
  where m.workspace_id is not null and m.status is distinct from 'removed'
  group by m.workspace_id;

  -- A provider whose reply rate yesterday fell more than 20% below its trailing 7 days (with
  -- enough sends that the fall is not noise).
  return query
  select 'provider_reply_rate',
    'provider:' || p.connection_id || ':' || coalesce(p.provider, 'Unknown') || '/'
      || coalesce(p.reseller, 'Unknown'),
    null::bigint, p.connection_id,
    case when p.reply_rate_7d > 0 and p.emails_sent_day >= 200
              and p.reply_rate_day < 0.8 * p.reply_rate_7d then 'degraded' else 'healthy' end,
    round(coalesce(p.reply_rate_day, 0), 6),
    format('%s / %s on %s: reply rate %s%% against %s%% over 7 days (%s sent)',
      coalesce(p.provider, 'Unknown provider'), coalesce(p.reseller, 'unknown reseller'), p.day,
      round(100 * coalesce(p.reply_rate_day, 0), 2), round(100 * coalesce(p.reply_rate_7d, 0), 2),
      p.emails_sent_day)
  from public.provider_performance_history p
  where p.day = (select max(day) from public.provider_performance_history latest
                 where latest.connection_id = p.connection_id);

  -- Every cron job: its last successful run against its schedule, and for jobs that call an edge
  -- function, what that function answered (a run that "succeeded" only queued the request).
  if to_regclass('cron.job') is not null then
    return query
    select 'cron_job', 'job:' || j.jobname, null::bigint, null::uuid,
      case
        when last_ok.end_time is null
          and j.jobid in (select jobid from cron.job_run_details) then 'down'
        when last_ok.end_time < evaluated_at
          - make_interval(mins => 2 * private.cron_interval_minutes(j.schedule) + 2) then 'down'
        when call.status_code is not null and call.status_code not between 200 and 299 then 'down'
        when call.timed_out or call.error_msg is not null then 'down'
        else 'healthy'
      end,
      extract(epoch from evaluated_at - last_ok.end_time)::numeric,
      case
        when last_ok.end_time is null
          and j.jobid in (select jobid from cron.job_run_details) then 'has never run successfully'
        when last_ok.end_time < evaluated_at
          - make_interval(mins => 2 * private.cron_interval_minutes(j.schedule) + 2) then
          format('last successful run %s ago (schedule %s)',
                 date_trunc('second', evaluated_at - last_ok.end_time), j.schedule)
        when call.status_code is not null and call.status_code not between 200 and 299 then
          format('%s answered HTTP %s', call.function_path, call.status_code)
        when call.timed_out then format('%s did not answer in time', call.function_path)
        when call.error_msg is not null then
          format('%s could not be called: %s', call.function_path, left(call.error_msg, 200))
        when last_ok.end_time is null then 'has not run yet'
        else 'on schedule'
      end
    from cron.job j
    left join lateral (
      select d.end_time from cron.job_run_details d
      where d.jobid = j.jobid and d.status = 'succeeded'
      order by d.end_time desc limit 1
    ) last_ok on true
    left join lateral (
      select c.function_path, r.status_code, r.timed_out, r.error_msg
      from private.edge_function_calls c
      join net._http_response r on r.id = c.request_id
      where c.function_path = substring(j.command from 'invoke_edge_function\(''([^'']+)''')
      order by c.called_at desc limit 1
    ) call on true
    -- A job an operator paused (cron.alter_job(..., active := false)) is not expected to run.
    where j.active;
  end if;

  -- Drift between the webhook-derived counters and Bison's own numbers for the same local day.
  return query
  select 'metrics_drift', 'workspace:' || b.workspace_id, b.workspace_id, w.connection_id,
    case when d.worst > drift_tolerance and d.worst_abs >= 5 then 'degraded' else 'healthy' end,
    round(d.worst, 4),
    format('%s: webhooks counted %s sent, %s replies, %s interested; Bison reports %s, %s, %s',
      b.day, coalesce(m.emails_sent, 0), coalesce(m.replies, 0), coalesce(m.interested, 0),
      coalesce(b.emails_sent, 0), coalesce(b.replies, 0), coalesce(b.interested, 0))
  from public.bison_daily_stats b
  join public.workspaces w on w.id = b.workspace_id
  left join public.workspace_daily_metrics m on m.workspace_id = b.workspace_id and m.day = b.day
  cross join lateral (
    select max(abs(ours - theirs)::numeric / greatest(theirs, 1)) as worst,
           max(abs(ours - theirs)) as worst_abs
    from (values
      -- Replies are shown but not compared: Bison reports unique replies per contact, we count
      -- every reply event.
      (coalesce(m.emails_sent, 0), coalesce(b.emails_sent, 0)),
      (coalesce(m.interested, 0), coalesce(b.interested, 0)),
      (coalesce(m.bounces, 0), coalesce(b.bounces, 0))
    ) pair(ours, theirs)
  ) d
  where b.day = (
    select max(b2.day) from public.bison_daily_stats b2
    where b2.workspace_id = b.workspace_id
      and b2.day < (evaluated_at at time zone private.workspace_timezone(b.workspace_id))::date
  );
end;
$$;
comment on function private.evaluate_health_checks(timestamptz) is
  'Evaluates every health check as of evaluated_at: webhook_silence (against the workspace''s '
  'own traffic at this hour of the week), webhook_failures, webhook_rejections, mailbox_sync, '
  'mailbox_disconnections, provider_reply_rate (latest day against its trailing 7 days), '
  'cron_job (schedule and HTTP outcome) and metrics_drift (last complete '
  'local day against Bison''s stats). Changes nothing.';

create or replace function private.health_alert_message(kind text, title text, lines jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'text', title,
    'blocks', jsonb_build_array(
      jsonb_build_object('type', 'header',
        'text', jsonb_build_object('type', 'plain_text', 'text', left(title, 150))),
      jsonb_build_object('type', 'section',
        'text', jsonb_build_object('type', 'mrkdwn',
          'text', left(coalesce((select string_agg(l #>> '{}', E'\n') from jsonb_array_elements(lines) l), ''), 2900)))
    ),
    'kind', kind
  );
$$;
comment on function private.health_alert_message(text, text, jsonb) is
  'A Slack Block Kit message: a header and one markdown section of lines (Slack''s length limits '
  'respected).';

create or replace function private.run_health_checks(evaluated_at timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  reminder_interval interval := private.setting_interval('alert_reminder_interval', interval '60 minutes');
  last_alert timestamptz;
  results private.health_check_result[];
  problems jsonb;
  resolved jsonb;
  unhealthy jsonb;
  disconnects jsonb;
  changed integer;
  queued integer := 0;
begin
  -- Overlapping runs (cron and an operator) would both see the same changes and queue the same
  -- alerts: one run at a time, the later one waiting for the earlier one's result.
  perform pg_advisory_xact_lock(hashtext('private.run_health_checks'));
  results := array(select r from private.evaluate_health_checks(evaluated_at) r);
  last_alert := (select value from private.health_state where key = 'last_alert_at');
  -- What changed since the last run, before the current status is overwritten.
  with previous as (
    select h.check_name, h.scope, h.status from public.system_health h
  ),
  labelled as (
    select r.*, p.status as previous_status,
           coalesce(w.name, r.scope) as subject
    from unnest(results) r
    left join previous p using (check_name, scope)
    left join public.workspaces w on w.id = r.workspace_id
  )
  select
    coalesce(jsonb_agg(format('• *%s* %s — %s (%s)', l.check_name, l.subject, l.message, l.status)
      order by l.check_name, l.subject)
      filter (where l.status <> 'healthy' and l.previous_status is distinct from l.status), '[]'),
    coalesce(jsonb_agg(format('• *%s* %s — %s', l.check_name, l.subject, l.message)
      order by l.check_name, l.subject)
      filter (where l.status = 'healthy' and l.previous_status in ('degraded', 'down')), '[]'),
    coalesce(jsonb_agg(format('• *%s* %s — %s (%s)', l.check_name, l.subject, l.message, l.status)
      order by l.check_name, l.subject)
      filter (where l.status <> 'healthy'), '[]'),
    count(*) filter (where l.previous_status is distinct from l.status)
  into problems, resolved, unhealthy, changed
  from labelled l;

  insert into private.system_health_history (check_name, scope, status, value, message, recorded_at)
  select r.check_name, r.scope, r.status, r.value, r.message, evaluated_at
  from unnest(results) r
  left join public.system_health h using (check_name, scope)
  where h.status is distinct from r.status;

  insert into public.system_health as h
    (check_name, scope, workspace_id, connection_id, status, value, message, checked_at, changed_at)
  select r.check_name, r.scope, r.workspace_id, r.connection_id, r.status, r.value, r.message,
         evaluated_at, evaluated_at
  from unnest(results) r
  on conflict (check_name, scope) do update set
    status = excluded.status, value = excluded.value, message = excluded.message,
    workspace_id = excluded.workspace_id, connection_id = excluded.connection_id,
    checked_at = excluded.checked_at,
    changed_at = case when h.status = excluded.status then h.changed_at else excluded.changed_at end;
  -- A check that no longer applies (its workspace or job is gone) is no longer current.
  delete from public.system_health h
  where not exists (select 1 from unnest(results) r
                    where r.check_name = h.check_name and r.scope = h.scope);

  if jsonb_array_length(problems) > 0 then
    insert into private.health_alerts (kind, message) values ('problems',
      private.health_alert_message('problems',
        format(':rotating_light: %s new problem(s) in the Bison mirror', jsonb_array_length(problems)),
        problems));
    queued := queued + 1;
    last_alert := evaluated_at;
  elsif jsonb_array_length(unhealthy) > 0
        and (last_alert is null or last_alert <= evaluated_at - reminder_interval) then
    insert into private.health_alerts (kind, message) values ('reminder',
      private.health_alert_message('reminder',
        format(':hourglass: still unhealthy: %s check(s)', jsonb_array_length(unhealthy)),
        unhealthy));
    queued := queued + 1;
    last_alert := evaluated_at;
  end if;
  if jsonb_array_length(resolved) > 0 then
    insert into private.health_alerts (kind, message) values ('resolved',
      private.health_alert_message('resolved',
        format(':white_check_mark: %s check(s) resolved', jsonb_array_length(resolved)), resolved));
    queued := queued + 1;
  end if;

  -- Mailboxes whose disconnection was not announced yet: one message, grouped per workspace.
  -- Marked per mailbox rather than by a time watermark, so a late or slow delivery is never
  -- skipped.
  with announced as (
    update public.sender_emails m
    set disconnect_alerted_at = evaluated_at
    where m.status = 'disconnected' and m.disconnect_recorded_at is not null
      and (m.disconnect_alerted_at is null or m.disconnect_alerted_at < m.disconnect_recorded_at)
    returning m.workspace_id, m.email, m.bison_sender_email_id
  )
  select coalesce(jsonb_agg(format('• *%s*: %s mailbox(es) disconnected — %s', g.name, g.n, g.emails)
                            order by g.name), '[]')
  into disconnects
  from (
    select coalesce(w.name, 'workspace ' || w.id) as name, count(*) as n,
           string_agg(coalesce(a.email, '#' || a.bison_sender_email_id), ', ' order by a.email)
             as emails
    from announced a join public.workspaces w on w.id = a.workspace_id
    group by w.id, w.name
  ) g;
  if jsonb_array_length(disconnects) > 0 then
    insert into private.health_alerts (kind, message) values ('disconnects',
      private.health_alert_message('disconnects',
        ':electric_plug: mailboxes disconnected', disconnects));
    queued := queued + 1;
  end if;

  if last_alert is not null then
    insert into private.health_state (key, value) values ('last_alert_at', last_alert)
    on conflict (key) do update set value = excluded.value;
  end if;

  if changed > 0 then
    perform realtime.send(
      jsonb_build_object('changed', changed, 'unhealthy', jsonb_array_length(unhealthy),
                         'evaluated_at', evaluated_at),
      'health_updated', 'health', true);
  end if;

  return jsonb_build_object(
    'checks', cardinality(results),
    'unhealthy', jsonb_array_length(unhealthy),
    'changed', changed,
    'alerts_queued', queued
  );
end;
$$;
comment on function private.run_health_checks(timestamptz) is
  'Evaluates all checks, stores the current status in public.system_health and every change in '
  'private.system_health_history, and queues Slack messages in private.health_alerts: new '
  'problems (grouped), a reminder at most every alert_reminder_interval while anything stays '
  'unhealthy, resolutions, and mailboxes disconnected since the last run grouped per workspace. '
  'Broadcasts health_updated on the private topic health when anything changed.';
