-- When a workspace's month to date crosses 25, 50, 75 and 100 % of a target, the moment is
-- recorded once per month, metric and threshold, and broadcast privately on
-- workspace:<id>:milestones (event milestone); the full target can also be announced in Slack.
--
-- Exactly once, whatever the replays or the concurrency: a milestone is a state ("the month to
-- date is at least this share of the target"), recorded by an insert that a unique key turns into
-- nothing the second time. Two transactions that each add half of what crosses a threshold would
-- each see only their own half, so the evaluation waits for its turn per workspace and month and
-- then reads what the other committed. It runs at commit (deferred constraint triggers), when the
-- transaction holds every row lock it will take: waiting for the turn never waits for a row
-- another waiter holds, so it adds no deadlock. Events of a workspace's day already wait for each
-- other on the day row, so the turn adds no waiting either. Only the running local month counts:
-- a late event of a closed month records nothing.
--
-- The triggers are small and separate from the metrics broadcast, so a change to how day rows are
-- written or broadcast leaves them alone. The workspace topic's Realtime policy ("members receive
-- their workspaces' broadcasts", any topic workspace:<id>:...) already covers the new topic.
insert into private.settings (key, value, description) values
  ('milestone_thresholds_pct', '[25, 50, 75, 100]',
   'Percentages of a monthly target whose crossing is recorded (public.workspace_milestones) and '
   'broadcast once per workspace, month and metric.'),
  ('milestone_slack_thresholds_pct', '[100]',
   'Milestones also announced in Slack (through the alert outbox that check-system-health '
   'delivers); [] for none.')
on conflict (key) do nothing;

create table public.workspace_milestones (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  month date not null,
  metric text not null,
  threshold_pct numeric not null check (threshold_pct > 0),
  value bigint not null,
  target numeric not null,
  reached_at timestamptz not null default now(),
  unique (workspace_id, month, metric, threshold_pct)
);
comment on table public.workspace_milestones is
  'When a workspace''s month to date of a metric first reached threshold_pct percent of its '
  'target in that local month (thresholds: setting milestone_thresholds_pct): value and target '
  'at that moment. Once per workspace, month, metric and threshold; a later lower target or an '
  'interest taken back changes nothing recorded. Members read their workspaces'' milestones.';

comment on column public.workspace_milestones.id is 'Identifies the milestone.';
comment on column public.workspace_milestones.workspace_id is 'The workspace (client).';
comment on column public.workspace_milestones.month is 'The first day of the local month.';
comment on column public.workspace_milestones.metric is 'The day counter the target counts.';
comment on column public.workspace_milestones.threshold_pct is
  'The share of the target reached: 25, 50, 75 or 100 (percent).';
comment on column public.workspace_milestones.value is
  'The month to date when the threshold was reached.';
comment on column public.workspace_milestones.target is 'The target at that moment.';
comment on column public.workspace_milestones.reached_at is 'When it was recorded.';

alter table public.workspace_milestones enable row level security;
create policy "members read their workspaces' milestones" on public.workspace_milestones
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
revoke all on public.workspace_milestones from anon, authenticated, service_role;
grant select on public.workspace_milestones to authenticated, service_role;

alter table private.health_alerts drop constraint health_alerts_kind_check;
alter table private.health_alerts add constraint health_alerts_kind_check
  check (kind in ('problems', 'reminder', 'resolved', 'disconnects', 'webhook_repairs',
                  'milestone'));

create or replace function private.slack_configured()
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (select 1 from vault.secrets s where s.name = 'slack_webhook_url');
$$;
comment on function private.slack_configured() is
  'True when a Slack incoming webhook is configured (Vault secret slack_webhook_url): messages '
  'that are only worth sending now (milestones, digests) are not queued otherwise.';

create or replace function private.setting_numbers(setting_key text)
returns numeric[]
language plpgsql
stable
set search_path = ''
as $$
declare
  stored jsonb := (select s.value from private.settings s where s.key = setting_key);
begin
  if jsonb_typeof(stored) is distinct from 'array'
     or exists (select 1 from jsonb_array_elements(stored) e where jsonb_typeof(e) <> 'number') then
    raise exception 'setting % must be a list of numbers', setting_key using errcode = '55000';
  end if;
  return array(select e::text::numeric from jsonb_array_elements(stored) e order by 1);
end;
$$;
comment on function private.setting_numbers(text) is
  'A setting holding a list of numbers (e.g. [25, 50]), sorted; raises 55000 when it is missing or '
  'not a list of numbers.';

create or replace function private.record_milestones(
  target_workspace_id bigint,
  changed_month date
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  thresholds numeric[] := private.setting_numbers('milestone_thresholds_pct');
  announced numeric[] := private.setting_numbers('milestone_slack_thresholds_pct');
  month_to_date public.workspace_month_to_date;
  reached public.workspace_milestones;
  recorded integer := 0;
  client text;
begin
  -- One evaluation at a time per workspace and month; the next one reads what this one committed,
  -- since the month to date is read after the wait.
  perform pg_advisory_xact_lock(hashtextextended(
    'private.record_milestones:' || target_workspace_id || ':' || changed_month, 0));
  select * into month_to_date from public.workspace_month_to_date mtd
  where mtd.workspace_id = target_workspace_id;
  -- Only the running local month: a closed month keeps what it recorded.
  if month_to_date.month_start is distinct from changed_month then
    return 0;
  end if;
  for reached in
    insert into public.workspace_milestones as m
      (workspace_id, month, metric, threshold_pct, value, target, reached_at)
    select target_workspace_id, changed_month, t.metric, threshold.pct,
           (month_to_date.counters ->> t.metric)::bigint, t.target, now()
    from public.workspace_targets t
    cross join unnest(thresholds) threshold(pct)
    where t.workspace_id = target_workspace_id and t.month = changed_month
      and private.percent_of((month_to_date.counters ->> t.metric)::numeric, t.target)
          >= threshold.pct
    order by t.metric, threshold.pct
    on conflict (workspace_id, month, metric, threshold_pct) do nothing
    returning m.*
  loop
    perform realtime.send(
      jsonb_build_object('workspace_id', reached.workspace_id, 'metric', reached.metric,
        'target', reached.target, 'threshold', reached.threshold_pct, 'value', reached.value,
        'month', reached.month, 'reached_at', reached.reached_at),
      'milestone', 'workspace:' || target_workspace_id || ':milestones', true);
    if reached.threshold_pct = any (announced) and private.slack_configured() then
      client := (select private.slack_text(coalesce(w.name, 'workspace ' || w.id))
                 from public.workspaces w where w.id = target_workspace_id);
      insert into private.health_alerts (kind, message) values ('milestone',
        private.health_alert_message('milestone', ':dart: A client reached a target milestone',
          jsonb_build_array(format('*%s* reached %s%% of its %s target for %s: %s of %s', client,
            reached.threshold_pct, private.slack_text(replace(reached.metric, '_', ' ')),
            to_char(reached.month, 'FMMonth YYYY'), reached.value, trim_scale(reached.target)))));
    end if;
    recorded := recorded + 1;
  end loop;
  return recorded;
end;
$$;
comment on function private.record_milestones(bigint, date) is
  'When changed_month is the workspace''s running local month, records every threshold (setting '
  'milestone_thresholds_pct) that its month to date has reached for each target of the month '
  'and that is not recorded yet; '
  'broadcasts each new one privately on workspace:<id>:milestones (event milestone: '
  'workspace_id, metric, target, threshold, value, month, reached_at) and queues a Slack message '
  'for those in milestone_slack_thresholds_pct when Slack is configured. One evaluation per '
  'workspace and month at a time (transaction advisory lock). Returns how many were recorded.';

create or replace function private.record_milestones_after_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- The month the changed row belongs to: a day row's day or a target's month (trigger argument).
  changed_month date := date_trunc('month', (to_jsonb(new) ->> tg_argv[0])::timestamp)::date;
begin
  -- Most changes cannot reach a milestone: a day row whose counters with a target did not move,
  -- or a month whose every threshold is recorded already. Those stop here, without waiting.
  if exists (
    select 1 from public.workspace_targets t
    where t.workspace_id = new.workspace_id and t.month = changed_month
      and (tg_table_name = 'workspace_targets'
           or (to_jsonb(new) ->> t.metric) is distinct from (to_jsonb(old) ->> t.metric))
      and exists (
        select 1 from unnest(private.setting_numbers('milestone_thresholds_pct')) threshold(pct)
        where not exists (
          select 1 from public.workspace_milestones m
          where m.workspace_id = t.workspace_id and m.month = t.month and m.metric = t.metric
            and m.threshold_pct = threshold.pct)))
  then
    perform private.record_milestones(new.workspace_id, changed_month);
  end if;
  return null;
end;
$$;
comment on function private.record_milestones_after_change() is
  'Constraint trigger, at commit: when the changed row (a target, or a day row that moved a '
  'counter with a target; the date column named by the trigger argument) belongs to a month with '
  'a threshold left to reach, records the milestones reached if that month is the running one '
  '(private.record_milestones). Security definer so that whoever writes the row may record and '
  'broadcast.';

create constraint trigger workspace_daily_metrics_milestones
  after insert or update on public.workspace_daily_metrics
  deferrable initially deferred
  for each row execute function private.record_milestones_after_change('day');

create constraint trigger workspace_targets_milestones
  after insert or update on public.workspace_targets
  deferrable initially deferred
  for each row execute function private.record_milestones_after_change('month');

-- The broadcast catalogue (private.realtime_broadcasts, where the project describes every topic
-- and event) gets the milestone topic once it exists in this database.
do $$
begin
  if to_regclass('private.realtime_broadcasts') is not null then
    execute $insert$
      insert into private.realtime_broadcasts
        (topic, event, receivers, sent_when, payload_fields, sent_by)
      values ('workspace:<workspace_id>:milestones', 'milestone',
        'members of the workspace and agency admins',
        'when the workspace''s month to date of a metric first reaches 25, 50, 75 or 100 % of its '
        'target in the running local month (once per month, metric and threshold)',
        '[{"name": "workspace_id", "type": "number", "description": "The workspace."},
          {"name": "metric", "type": "string", "description": "The day counter the target counts."},
          {"name": "target", "type": "number", "description": "The target at that moment."},
          {"name": "threshold", "type": "number",
           "description": "The share of the target reached, in percent (25, 50, 75, 100)."},
          {"name": "value", "type": "number",
           "description": "The month to date when it was reached."},
          {"name": "month", "type": "string (date)",
           "description": "The first day of the local month."},
          {"name": "reached_at", "type": "string (timestamptz)",
           "description": "When it was recorded."}]'::jsonb,
        array['private.record_milestones(bigint,date)'])
      on conflict (topic, event) do nothing
    $insert$;
  end if;
end
$$;
