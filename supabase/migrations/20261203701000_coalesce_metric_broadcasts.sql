-- Metric broadcasts are coalesced: per topic (workspace:<id>:metrics) at most one message per
-- interval (setting broadcast_interval, 1 s), always carrying the latest state. Hosted Realtime
-- counts every delivery to every client against the project's quota (100 messages a second on
-- Free, 500 on Pro), and one broadcast per event would cross it with one dashboard open during an
-- agency's sending window.
--
-- - Leading edge: a change on a topic that sent nothing within the interval is broadcast at once,
--   by the transaction that made it (its new day row, as before).
-- - Trailing edge: any other change marks its day row pending
--   (private.pending_metric_broadcasts); private.flush_coalesced_broadcasts, called every few
--   hundred milliseconds by the flush-broadcasts function, sends the row as it is then, as soon
--   as the topic's interval has passed. Several pending days of one topic go one per interval,
--   the longest waiting first.
--
-- Topic, event (metrics_updated) and payload (the day row) are unchanged: only how often. The
-- metric tables stay in the supabase_realtime publication: postgres_changes subscribers still get
-- every row change, uncoalesced (docs/webhooks.md says what that costs).
insert into private.settings (key, value, description) values
  ('broadcast_interval', '"1 second"',
   'Coalesced Realtime broadcasts (workspace:<id>:metrics): at most one message per topic per '
   'this interval, the last change of a burst delivered once it has passed (an interval).');

create table private.broadcast_topics (
  topic text primary key,
  last_sent_at timestamptz not null,
  next_send_at timestamptz not null
);
comment on table private.broadcast_topics is
  'When each coalesced Realtime topic last sent a message, and when it may send the next one: '
  'one broadcast interval later (private.claim_broadcast).';
alter table private.broadcast_topics enable row level security;
revoke all on private.broadcast_topics from public, anon, authenticated, service_role;

create table private.pending_metric_broadcasts (
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  day date not null,
  first_changed_at timestamptz not null,
  primary key (workspace_id, day)
);
comment on table private.pending_metric_broadcasts is
  'Day rows of workspace_daily_metrics changed since their last broadcast, waiting for their '
  'topic''s interval to pass (private.flush_coalesced_broadcasts). A writer holds its row''s '
  'lock until it commits, so the flush never sends a state older than a change it removes.';
alter table private.pending_metric_broadcasts enable row level security;
revoke all on private.pending_metric_broadcasts from public, anon, authenticated, service_role;

-- Read on every metric change: plpgsql keeps its plan (a language sql helper would be planned
-- again in every transaction).
create or replace function private.broadcast_interval()
returns interval
language plpgsql
stable
set search_path = ''
as $$
declare
  configured interval;
begin
  configured := private.setting_interval('broadcast_interval');
  if configured < interval '0' then
    raise exception 'setting broadcast_interval must not be negative, got %', configured
      using errcode = '22023';
  end if;
  return configured;
end;
$$;
comment on function private.broadcast_interval() is
  'The coalescing interval of Realtime broadcasts: setting broadcast_interval (raises 55000 when '
  'it is missing, 22023 when it is negative).';

create or replace function private.claim_broadcast(topic text)
returns boolean
language plpgsql
set search_path = ''
as $$
declare
  claimed boolean;
begin
  -- The row lock makes concurrent claimants wait and then see the new next_send_at: one wins.
  insert into private.broadcast_topics as t (topic, last_sent_at, next_send_at)
  values (claim_broadcast.topic, clock_timestamp(),
          clock_timestamp() + private.broadcast_interval())
  on conflict on constraint broadcast_topics_pkey do update
    set last_sent_at = excluded.last_sent_at, next_send_at = excluded.next_send_at
  where t.next_send_at <= excluded.last_sent_at
  returning true into claimed;
  return coalesce(claimed, false);
end;
$$;
comment on function private.claim_broadcast(text) is
  'Takes the topic''s turn to send a message: true (last_sent_at set to now, next_send_at one '
  'broadcast interval later) when its next_send_at has come, false otherwise. Call it only when '
  'about to send.';

-- The trigger of migration broadcast_workspace_metrics, coalesced.
create or replace function private.broadcast_workspace_metrics()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  metrics_topic text := 'workspace:' || new.workspace_id || ':metrics';
  next_send timestamptz;
begin
  -- The day is pending, and its row locked until this transaction ends (ON CONFLICT locks the
  -- existing row even when its WHERE leaves it as it is): a flush running meanwhile skips it. The
  -- lock comes before the topic's, in the order the flush takes them too.
  insert into private.pending_metric_broadcasts as p (workspace_id, day, first_changed_at)
  values (new.workspace_id, new.day, clock_timestamp())
  on conflict on constraint pending_metric_broadcasts_pkey
  do update set first_changed_at = p.first_changed_at where false;
  select t.next_send_at into next_send from private.broadcast_topics t
  where t.topic = metrics_topic;
  if (next_send is null or next_send <= clock_timestamp())
     and private.claim_broadcast(metrics_topic) then
    -- This row holds every earlier change of its day (they committed before its lock was
    -- granted): nothing of the day is pending any more.
    delete from private.pending_metric_broadcasts p
    where p.workspace_id = new.workspace_id and p.day = new.day;
    -- The whole day row (workspace_id, day, every counter, updated_at): a new counter column is
    -- broadcast without touching this function.
    perform realtime.send(to_jsonb(new), 'metrics_updated', metrics_topic, true);
  end if;
  return null;
end;
$$;
comment on function private.broadcast_workspace_metrics() is
  'Trigger: broadcasts the new day row of workspace_daily_metrics privately (event '
  'metrics_updated, topic workspace:<workspace_id>:metrics) when the topic sent nothing within '
  'the broadcast interval; otherwise marks the day pending for '
  'private.flush_coalesced_broadcasts. Security definer so that whoever changes the row may '
  'write realtime.messages.';

create or replace function private.flush_coalesced_broadcasts()
returns table (sent integer, next_due_at timestamptz)
language plpgsql
set search_path = ''
as $$
declare
  pending record;
  day_row jsonb;
  sent_count integer := 0;
begin
  -- Rows a writer still holds are skipped: it has not committed, and the next flush sees them.
  for pending in
    select p.workspace_id, p.day, 'workspace:' || p.workspace_id || ':metrics' as topic
    from private.pending_metric_broadcasts p
    left join private.broadcast_topics t on t.topic = 'workspace:' || p.workspace_id || ':metrics'
    where t.next_send_at is null or t.next_send_at <= clock_timestamp()
    order by p.first_changed_at
    for update of p skip locked
  loop
    -- One message per topic per interval: the longest waiting day of the topic takes the turn.
    continue when not private.claim_broadcast(pending.topic);
    delete from private.pending_metric_broadcasts p
    where p.workspace_id = pending.workspace_id and p.day = pending.day;
    -- Read after the pending row was locked: it holds every change that marked it.
    select to_jsonb(m) into day_row from public.workspace_daily_metrics m
    where m.workspace_id = pending.workspace_id and m.day = pending.day;
    if day_row is not null then
      perform realtime.send(day_row, 'metrics_updated', pending.topic, true);
      sent_count := sent_count + 1;
    end if;
  end loop;

  return query
  select sent_count, min(greatest(t.next_send_at, p.first_changed_at))
  from private.pending_metric_broadcasts p
  left join private.broadcast_topics t on t.topic = 'workspace:' || p.workspace_id || ':metrics';
end;
$$;
comment on function private.flush_coalesced_broadcasts() is
  'Sends, for every topic whose broadcast interval has passed, its longest-waiting pending day '
  'row as it is now (metrics_updated on workspace:<id>:metrics), one per topic. Returns how many '
  'it sent and when the next pending one will be due (null when none is pending). Safe to run '
  'concurrently.';

create or replace function private.schedule_broadcast_flush()
returns void
language plpgsql
set search_path = ''
as $$
begin
  -- The function runs until just after the next call starts: a flush is never more than a few
  -- hundred milliseconds away, with minute-granular pg_cron (Debian's 1.4) as with hosted's.
  perform private.schedule_job('flush-broadcasts', '* * * * *',
    $job$select private.invoke_edge_function('flush-broadcasts', '{}'::jsonb, 75000)$job$);
end;
$$;
comment on function private.schedule_broadcast_flush() is
  'Idempotently (re)creates the pg_cron job flush-broadcasts: every minute, the flush-broadcasts '
  'function, which sends the trailing edge of coalesced broadcasts for the next minute.';

select private.schedule_broadcast_flush();
