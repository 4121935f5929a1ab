-- The mailbox_disconnections check at ten times an agency (171,360 mailboxes): it read every
-- column of every mailbox up to the last (status_group) and computed its connection as text per
-- row, 90-130 ms of a health evaluation on the development machine. It now counts per workspace:
-- all its mailboxes (reading only the workspace id), less the removed ones, and the disconnected
-- and recently disconnected ones through partial indexes of those few rows (about 35 ms); the
-- same verdicts, values and messages. The rest of private.evaluate_mirror_checks is as migration
-- health_checks_on_definitions defined it. The indexes are built under a SHARE lock: writes to
-- sender_emails wait the second or so each takes on a populated table.
create index sender_emails_removed_idx on public.sender_emails (workspace_id)
where status_group = 'removed';
create index sender_emails_disconnected_idx on public.sender_emails (workspace_id)
where status_group = 'disconnected';
create index sender_emails_disconnected_at_idx on public.sender_emails (disconnected_at)
where disconnected_at is not null;
create or replace function private.evaluate_mirror_checks(evaluated_at timestamptz default now())
returns setof private.health_check_result
language plpgsql
stable
set search_path = ''
as $$
declare
  silence_window interval := private.setting_interval('silence_window');
  min_expected numeric := private.setting_numeric('silence_min_expected_per_hour');
  min_weeks numeric := private.setting_numeric('silence_min_weeks_with_traffic');
  rejections_degraded numeric := private.setting_numeric('webhook_rejections_degraded');
  poll_interval interval := private.setting_interval('mailbox_poll_interval');
  stale_intervals numeric := private.setting_numeric('mailbox_sync_stale_intervals');
  failures_down numeric := private.setting_numeric('mailbox_sync_failures_down');
  hold_share_pct numeric := private.setting_numeric('mailbox_removal_hold_share_pct');
  disconnected_share_pct numeric := private.setting_numeric('disconnected_share_degraded_pct');
  disconnects_degraded numeric := private.setting_numeric('disconnects_per_hour_degraded');
  reply_drop_pct numeric := private.setting_numeric('provider_reply_rate_drop_pct');
  reply_min_sends numeric := private.setting_numeric('provider_drop_min_emails_sent');
  drift_tolerance_pct numeric := private.setting_numeric('drift_tolerance_pct');
  drift_min numeric := private.setting_numeric('drift_min_difference');
  net_grace interval := private.setting_interval('net_request_grace');
  run_stale_after interval := private.setting_interval('health_run_stale_after');
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

  -- Disconnected share and disconnect spikes, counted per workspace: every mailbox less the
  -- removed ones, the disconnected ones, and those disconnected in the last hour. Only the
  -- first count reads every mailbox, and only its workspace; the others go through partial
  -- indexes of the few rows they count.
  return query
  select 'mailbox_disconnections', 'workspace:' || w.id, w.id, w.connection_id,
    case
      when private.percent_of(c.disconnected, c.total) > 4 * disconnected_share_pct then 'down'
      when private.percent_of(c.disconnected, c.total) > disconnected_share_pct
        or c.recent >= disconnects_degraded
        then 'degraded'
      else 'healthy'
    end,
    private.percent_of(c.disconnected, c.total),
    format('%s of %s mailboxes disconnected (%s%%), %s in the last hour',
      c.disconnected, c.total, private.percent_of(c.disconnected, c.total), c.recent)
  from (
    select every.workspace_id,
      every.n - coalesce(removed.n, 0) as total,
      coalesce(disconnected.n, 0) as disconnected,
      coalesce(recent.n, 0) as recent
    from (select s.workspace_id, count(*) as n from public.sender_emails s
          where s.workspace_id is not null group by s.workspace_id) every
    left join (select s.workspace_id, count(*) as n from public.sender_emails s
               where s.status_group = 'removed' group by s.workspace_id) removed
      using (workspace_id)
    left join (select s.workspace_id, count(*) as n from public.sender_emails s
               where s.status_group = 'disconnected' group by s.workspace_id) disconnected
      using (workspace_id)
    left join (select s.workspace_id, count(*) as n from public.sender_emails s
               where s.disconnected_at >= evaluated_at - interval '1 hour'
                 and s.status_group <> 'removed'
               group by s.workspace_id) recent
      using (workspace_id)
  ) c
  join public.workspaces w on w.id = c.workspace_id
  -- A workspace whose every mailbox is removed has nothing to judge, as before.
  where c.total > 0;

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
