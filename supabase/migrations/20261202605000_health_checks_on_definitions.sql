-- The health checks read the project's definitions (status groups, rates as percentages, the
-- reporting day) and keep every threshold in private.settings. They also see what the inventory
-- guard holds back, and notice a pipeline that has stopped: requests pg_net never sent, and a
-- check-system-health that no longer runs (the watchdog job below evaluates the checks in SQL
-- alone when the function has gone quiet, so system_health and its Realtime topic keep moving).
-- Slack text escapes every value that came from Bison or from users.
insert into private.settings (key, value, description) values
  ('silence_min_weeks_with_traffic', '3',
   'Of the last 4 weeks, how many must have had traffic at this hour before silence counts.'),
  ('webhook_rejections_degraded', '10',
   'Refused or quarantined deliveries in the last hour that make a connection degraded.'),
  ('mailbox_sync_stale_intervals', '3',
   'A workspace whose last complete inventory is older than this many poll intervals is '
   'degraded.'),
  ('mailbox_sync_failures_down', '3',
   'Failed inventory syncs in a row that make a workspace down.'),
  ('disconnects_per_hour_degraded', '5',
   'Mailboxes disconnected within the last hour that make a workspace degraded.'),
  ('provider_reply_rate_drop_pct', '20',
   'A provider is degraded when its reply rate yesterday fell more than this percentage below its '
   'trailing 7 days.'),
  ('provider_drop_min_emails_sent', '200',
   'Emails a provider must have sent yesterday before its reply rate drop counts.'),
  ('drift_min_difference', '5',
   'Events by which webhook-derived and Bison-reported daily counts must differ, besides '
   'drift_tolerance_pct, before a day has drifted.'),
  ('net_request_grace', '"1 minute"',
   'How long past its timeout a queued pg_net request may wait before pg_net counts as stuck.'),
  ('health_run_stale_after', '"3 minutes"',
   'How long check-system-health may go without running before health_runs is down and the '
   'watchdog job evaluates the checks itself.')
on conflict (key) do nothing;

-- Slack reads <...> as links and mentions (<!channel>, <@U123>, <https://x|label>) and & as the
-- start of an entity; @channel and friends may notify everyone.
create or replace function private.slack_text(value text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return regexp_replace(
    replace(replace(replace(coalesce(value, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
    '@(channel|here|everyone)', '@' || chr(8203) || '\1', 'gi');
end;
$$;
comment on function private.slack_text(text) is
  'A value from Bison or a user made safe as Slack mrkdwn text: &, < and > escaped (so '
  '<!channel> or <https://x|label> show as typed), and @channel, @here, @everyone broken with a '
  'zero-width space so they notify nobody.';

create or replace function private.evaluate_health_checks(evaluated_at timestamptz default now())
returns setof private.health_check_result
language plpgsql
stable
set search_path = ''
as $$
declare
  silence_window interval := private.setting_interval('silence_window', interval '30 minutes');
  min_expected numeric := private.setting_numeric('silence_min_expected_per_hour', 6);
  min_weeks numeric := private.setting_numeric('silence_min_weeks_with_traffic', 3);
  rejections_degraded numeric := private.setting_numeric('webhook_rejections_degraded', 10);
  poll_interval interval := private.setting_interval('mailbox_poll_interval', interval '5 minutes');
  stale_intervals numeric := private.setting_numeric('mailbox_sync_stale_intervals', 3);
  failures_down numeric := private.setting_numeric('mailbox_sync_failures_down', 3);
  hold_share_pct numeric := private.setting_numeric('mailbox_removal_hold_share_pct', 20);
  disconnected_share_pct numeric := private.setting_numeric('disconnected_share_degraded_pct', 5);
  disconnects_degraded numeric := private.setting_numeric('disconnects_per_hour_degraded', 5);
  reply_drop_pct numeric := private.setting_numeric('provider_reply_rate_drop_pct', 20);
  reply_min_sends numeric := private.setting_numeric('provider_drop_min_emails_sent', 200);
  drift_tolerance_pct numeric := private.setting_numeric('drift_tolerance_pct', 10);
  drift_min numeric := private.setting_numeric('drift_min_difference', 5);
  net_grace interval := private.setting_interval('net_request_grace', interval '1 minute');
  run_stale_after interval := private.setting_interval('health_run_stale_after', interval '3 minutes');
begin
  -- Webhook silence, against the workspace's own history at this hour of the week.
  return query
  select 'webhook_silence', 'workspace:' || w.id, w.id, w.connection_id,
    case when h.expected >= min_expected and h.weeks_with_traffic >= min_weeks and r.recent = 0
      then 'down' else 'healthy' end,
    r.recent::numeric,
    case
      when h.expected >= min_expected and h.weeks_with_traffic >= min_weeks and r.recent = 0 then
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
  select 'webhook_failures', 'workspace:' || e.workspace_id, e.workspace_id,
    max(e.connection_id::text)::uuid, 'degraded', count(*)::numeric,
    format('%s webhook events failed processing in the last hour', count(*))
  from private.webhook_events e
  where e.status = 'failed' and e.received_at >= evaluated_at - interval '1 hour'
    and e.received_at < evaluated_at and e.workspace_id is not null
  group by e.workspace_id;

  -- Deliveries refused or quarantined: a broken integration, a stale URL after a rotation, or
  -- bodies the database cannot store.
  return query
  select 'webhook_rejections', 'connection:' || coalesce(r.connection_id::text, 'unknown'),
    null::bigint, r.connection_id,
    case when sum(r.deliveries) >= rejections_degraded then 'degraded' else 'healthy' end,
    sum(r.deliveries)::numeric,
    format('%s deliveries refused or quarantined in the last hour (%s)', sum(r.deliveries),
           string_agg(r.reason, ', ' order by r.reason))
  from private.webhook_rejections r
  where r.hour >= date_trunc('hour', evaluated_at) - interval '1 hour'
  group by r.connection_id;

  -- Mailbox inventory freshness, sync errors, and removals held back.
  return query
  select 'mailbox_sync', 'workspace:' || w.id, w.id, w.connection_id,
    case
      when s.consecutive_failures >= failures_down then 'down'
      when s.inventory_held_at is not null then 'degraded'
      when s.last_complete_sync_at is null
        or s.last_complete_sync_at < evaluated_at - stale_intervals * poll_interval then 'degraded'
      else 'healthy'
    end,
    extract(epoch from evaluated_at - s.last_complete_sync_at)::numeric,
    case
      when s.consecutive_failures >= failures_down then
        format('%s syncs failed in a row: %s', s.consecutive_failures, left(s.last_error, 200))
      when s.inventory_held_at is not null then
        format('removals held: the complete inventory of %s lacked %s of %s mailboxes (over %s%%); '
               'nothing is removed until the next complete inventory agrees',
               date_trunc('second', s.inventory_held_at), s.held_missing, s.held_active,
               hold_share_pct)
      when s.last_complete_sync_at is null then 'the mailbox inventory was never synced completely'
      when s.last_complete_sync_at < evaluated_at - stale_intervals * poll_interval then
        format('last complete sync %s ago',
               date_trunc('second', evaluated_at - s.last_complete_sync_at))
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
      when private.percent_of(count(*) filter (where m.status_group = 'disconnected'), count(*))
           > 4 * disconnected_share_pct then 'down'
      when private.percent_of(count(*) filter (where m.status_group = 'disconnected'), count(*))
           > disconnected_share_pct
        or count(*) filter (where m.disconnected_at >= evaluated_at - interval '1 hour')
           >= disconnects_degraded
        then 'degraded'
      else 'healthy'
    end,
    private.percent_of(count(*) filter (where m.status_group = 'disconnected'), count(*)),
    format('%s of %s mailboxes disconnected (%s%%), %s in the last hour',
      count(*) filter (where m.status_group = 'disconnected'), count(*),
      private.percent_of(count(*) filter (where m.status_group = 'disconnected'), count(*)),
      count(*) filter (where m.disconnected_at >= evaluated_at - interval '1 hour'))
  from (
    select s.workspace_id, s.connection_id, s.disconnected_at, s.status_group
    from public.sender_emails s
    where s.workspace_id is not null
  ) m
  where m.status_group <> 'removed'
  group by m.workspace_id;

  -- A provider whose reply rate yesterday fell more than provider_reply_rate_drop_pct below its
  -- trailing 7 days (with enough sends that the fall is not noise).
  return query
  select 'provider_reply_rate',
    'provider:' || p.connection_id || ':' || coalesce(p.provider, 'Unknown') || '/'
      || coalesce(p.reseller, 'Unknown'),
    null::bigint, p.connection_id,
    case when p.reply_rate_7d_pct > 0 and p.emails_sent_day >= reply_min_sends
              and private.percent_of(p.reply_rate_7d_pct - coalesce(p.reply_rate_day_pct, 0),
                                     p.reply_rate_7d_pct) > reply_drop_pct
      then 'degraded' else 'healthy' end,
    coalesce(p.reply_rate_day_pct, 0),
    format('%s / %s on %s: reply rate %s%% against %s%% over 7 days (%s sent)',
      coalesce(p.provider, 'Unknown provider'), coalesce(p.reseller, 'unknown reseller'), p.day,
      coalesce(p.reply_rate_day_pct, 0), coalesce(p.reply_rate_7d_pct, 0), p.emails_sent_day)
  from public.provider_performance_history p
  where p.day = (select max(day) from public.provider_performance_history latest
                 where latest.connection_id = p.connection_id);

  -- Requests that pg_net has kept queued for longer than their timeout: its worker is not
  -- sending, so no cron job that calls a function is really running (pg_cron still says
  -- "succeeded": the job only queued a request).
  if to_regclass('net.http_request_queue') is not null then
    return query
    select 'net_requests', 'global', null::bigint, null::uuid,
      case when count(*) > 0 then 'down' else 'healthy' end,
      count(*)::numeric,
      case when count(*) > 0 then
        format('%s requests queued longer than their timeout (the oldest, to %s, for %s): pg_net '
               'is not sending requests', count(*),
               (array_agg(q.function_path order by q.called_at))[1],
               date_trunc('second', evaluated_at - min(q.called_at)))
      else 'pg_net is sending requests' end
    from (
      select c.function_path, c.called_at
      from private.edge_function_calls c
      join net.http_request_queue r on r.id = c.request_id
      where c.called_at < evaluated_at - make_interval(secs => r.timeout_milliseconds / 1000.0)
                          - net_grace
    ) q;
  end if;

  -- check-system-health itself: if it stops running, nothing reaches Slack. The watchdog job
  -- evaluates this check in SQL alone, so the status (and its Realtime topic) still changes.
  return query
  select 'health_runs', 'global', null::bigint, null::uuid,
    case when last_run.at < evaluated_at - run_stale_after then 'down' else 'healthy' end,
    extract(epoch from evaluated_at - last_run.at)::numeric,
    case
      when last_run.at is null then 'check-system-health has not reported a run yet'
      when last_run.at < evaluated_at - run_stale_after then
        format('check-system-health last ran %s ago: alerts are not being delivered',
               date_trunc('second', evaluated_at - last_run.at))
      else 'check-system-health runs and delivers alerts'
    end
  from (select max(s.value) as at from private.health_state s
        where s.key = 'last_function_run_at') last_run;

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
        when call.still_queued then 'down'
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
        when call.still_queued then
          format('its call to %s has waited in pg_net''s queue for %s, longer than its timeout',
                 call.function_path, date_trunc('second', evaluated_at - call.called_at))
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
      -- The latest call that has an outcome: answered, or queued past its timeout.
      select c.function_path, c.called_at, r.status_code, r.timed_out, r.error_msg,
             q.id is not null as still_queued
      from private.edge_function_calls c
      left join net._http_response r on r.id = c.request_id
      left join net.http_request_queue q on q.id = c.request_id
      where c.function_path = substring(j.command from 'invoke_edge_function\(''([^'']+)''')
        and (r.id is not null
             or (q.id is not null and c.called_at < evaluated_at
                   - make_interval(secs => q.timeout_milliseconds / 1000.0) - net_grace))
      order by c.called_at desc limit 1
    ) call on true
    -- A job an operator paused (cron.alter_job(..., active := false)) is not expected to run.
    where j.active;
  end if;

  -- Drift between the webhook-derived counters and Bison's own numbers for the same local day.
  return query
  select 'metrics_drift', 'workspace:' || b.workspace_id, b.workspace_id, w.connection_id,
    case when d.worst_pct > drift_tolerance_pct and d.worst_abs >= drift_min
      then 'degraded' else 'healthy' end,
    d.worst_pct,
    format('%s: webhooks counted %s sent, %s replies, %s interested; Bison reports %s, %s, %s',
      b.day, coalesce(m.emails_sent, 0), coalesce(m.replies, 0), coalesce(m.interested, 0),
      coalesce(b.emails_sent, 0), coalesce(b.replies, 0), coalesce(b.interested, 0))
  from public.bison_daily_stats b
  join public.workspaces w on w.id = b.workspace_id
  left join public.workspace_daily_metrics m on m.workspace_id = b.workspace_id and m.day = b.day
  cross join lateral (
    select max(private.percent_of(abs(ours - theirs), greatest(theirs, 1))) as worst_pct,
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
      and b2.day < private.local_day(b.workspace_id, evaluated_at)
  );
end;
$$;
comment on function private.evaluate_health_checks(timestamptz) is
  'Evaluates every health check as of evaluated_at, with the project''s definitions and every '
  'threshold from private.settings: webhook_silence (against the workspace''s own traffic at '
  'this hour of the week), webhook_failures, webhook_rejections (refused and quarantined), '
  'mailbox_sync (freshness, failures, removals held), mailbox_disconnections (status groups), '
  'provider_reply_rate (latest day against its trailing 7 days), net_requests (pg_net '
  'requests queued past their timeout), health_runs (check-system-health stopped running), '
  'cron_job (schedule, HTTP outcome, or a call stuck in pg_net''s queue) and metrics_drift (last '
  'complete local day against Bison''s stats). Values that are shares or rates are percentages. '
  'Changes nothing.';

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
  -- Overlapping runs (cron, the watchdog, an operator) would both see the same changes and queue
  -- the same alerts: one run at a time, the later one waiting for the earlier one's result.
  perform pg_advisory_xact_lock(hashtext('private.run_health_checks'));
  results := array(select r from private.evaluate_health_checks(evaluated_at) r);
  last_alert := (select value from private.health_state where key = 'last_alert_at');
  -- What changed since the last run, before the current status is overwritten. Every value
  -- from Bison or a user (names, messages quoting errors) is escaped for Slack.
  with previous as (
    select h.check_name, h.scope, h.status from public.system_health h
  ),
  labelled as (
    select r.*, p.status as previous_status,
           private.slack_text(coalesce(w.name, r.scope)) as subject,
           private.slack_text(r.message) as safe_message
    from unnest(results) r
    left join previous p using (check_name, scope)
    left join public.workspaces w on w.id = r.workspace_id
  )
  select
    coalesce(jsonb_agg(format('• *%s* %s — %s (%s)', l.check_name, l.subject, l.safe_message,
                              l.status)
      order by l.check_name, l.subject)
      filter (where l.status <> 'healthy' and l.previous_status is distinct from l.status), '[]'),
    coalesce(jsonb_agg(format('• *%s* %s — %s', l.check_name, l.subject, l.safe_message)
      order by l.check_name, l.subject)
      filter (where l.status = 'healthy' and l.previous_status in ('degraded', 'down')), '[]'),
    coalesce(jsonb_agg(format('• *%s* %s — %s (%s)', l.check_name, l.subject, l.safe_message,
                              l.status)
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
    where m.status_group = 'disconnected'
      and m.disconnect_recorded_at is not null
      and (m.disconnect_alerted_at is null or m.disconnect_alerted_at < m.disconnect_recorded_at)
    returning m.workspace_id, m.email, m.bison_sender_email_id
  )
  select coalesce(jsonb_agg(format('• *%s*: %s mailbox(es) disconnected — %s', g.name, g.n, g.emails)
                            order by g.name), '[]')
  into disconnects
  from (
    select private.slack_text(coalesce(w.name, 'workspace ' || w.id)) as name, count(*) as n,
           private.slack_text(string_agg(coalesce(a.email, '#' || a.bison_sender_email_id), ', '
                                         order by a.email)) as emails
    from announced a join public.workspaces w on w.id = a.workspace_id
    group by w.id, w.name
  ) g;
  if jsonb_array_length(disconnects) > 0 then
    insert into private.health_alerts (kind, message) values ('disconnects',
      private.health_alert_message('disconnects',
        ':electric_plug: mailboxes disconnected', disconnects));
    queued := queued + 1;
  end if;

  insert into private.health_state (key, value) values ('last_checked_at', evaluated_at)
  on conflict (key) do update set value = excluded.value;
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
  'private.system_health_history, and queues Slack messages in private.health_alerts (every '
  'value from Bison or a user escaped by private.slack_text): new problems (grouped), a '
  'reminder at most every alert_reminder_interval while anything stays unhealthy, resolutions, '
  'and mailboxes newly in the disconnected status group, grouped per workspace. Records '
  'last_checked_at in private.health_state and broadcasts health_updated on the private topic '
  'health when anything changed.';

create or replace function private.record_health_function_run(ran_at timestamptz default now())
returns void
language sql
set search_path = ''
as $$
  insert into private.health_state (key, value) values ('last_function_run_at', ran_at)
  on conflict (key) do update set value = greatest(excluded.value, private.health_state.value);
$$;
comment on function private.record_health_function_run(timestamptz) is
  'Records that check-system-health ran its checks and tried to deliver the alerts (the '
  'health_runs check watches it).';

create or replace function private.run_health_checks_if_unattended(run_at timestamptz default now())
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  stale_after interval := private.setting_interval('health_run_stale_after', interval '3 minutes');
  last_checked timestamptz := (select s.value from private.health_state s
                               where s.key = 'last_checked_at');
begin
  if last_checked is not null and last_checked >= run_at - stale_after then
    return jsonb_build_object('ran', false, 'last_checked_at', last_checked);
  end if;
  return private.run_health_checks(run_at) || jsonb_build_object('ran', true);
end;
$$;
comment on function private.run_health_checks_if_unattended(timestamptz) is
  'The watchdog: runs private.run_health_checks in SQL alone when nothing has evaluated the '
  'checks for health_run_stale_after (check-system-health is not being reached, e.g. pg_net '
  'stopped sending), so system_health and its Realtime topic keep showing the truth. Alerts it '
  'queues wait until the function runs again; the heartbeat (docs/health.md) covers that gap.';

create or replace function private.schedule_health_jobs()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.schedule_job('check-system-health', '* * * * *',
    $job$select private.invoke_edge_function('check-system-health', '{}'::jsonb, 55000)$job$);
  perform private.schedule_job('emergency-catchup', '* * * * *',
    'select private.start_emergency_catchups()');
  perform private.schedule_job('health-watchdog', '* * * * *',
    'select private.run_health_checks_if_unattended()');
  -- Hourly, so that each connection's local midnight is followed within the hour.
  perform private.schedule_job('reconcile-bison-stats', '20 * * * *',
    $job$select private.invoke_edge_function('check-system-health/reconcile', '{}'::jsonb, 120000)$job$);
  perform private.schedule_job('prune-health-history', '23 4 * * *',
    'select private.prune_health_history()');
end;
$$;
comment on function private.schedule_health_jobs() is
  'Idempotently (re)creates the pg_cron jobs check-system-health, emergency-catchup and '
  'health-watchdog (every minute; the watchdog runs in SQL alone), reconcile-bison-stats '
  '(hourly) and prune-health-history (daily).';

select private.schedule_health_jobs();
