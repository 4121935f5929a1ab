-- What the system knows about its own health: the current status of every check (per workspace or
-- connection where that makes sense), the history of status changes, agency admins who see it
-- all, an outbox of Slack alerts, and Bison's own daily numbers for drift checks.
create table public.agency_admins (
  user_id uuid primary key references auth.users (id) on delete cascade,
  created_at timestamptz not null default now()
);
comment on table public.agency_admins is
  'Users who administer the whole agency: they see every health check and receive the private '
  'health topic.';

create or replace function private.is_agency_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.agency_admins a where a.user_id = (select auth.uid()));
$$;
comment on function private.is_agency_admin() is
  'True when the calling user (auth.uid()) is an agency admin. For RLS policies.';
grant execute on function private.is_agency_admin() to authenticated, service_role;

create table public.system_health (
  check_name text not null,
  scope text not null,
  workspace_id bigint references public.workspaces (id) on delete cascade,
  connection_id uuid references public.bison_connections (id) on delete cascade,
  status text not null check (status in ('healthy', 'degraded', 'down')),
  value numeric,
  message text not null,
  checked_at timestamptz not null,
  changed_at timestamptz not null,
  primary key (check_name, scope)
);
create index system_health_workspace_id_idx on public.system_health (workspace_id);
create index system_health_connection_id_idx on public.system_health (connection_id);
comment on table public.system_health is
  'Current result of every health check. scope is workspace:<id>, connection:<id>, job:<name> or '
  'global; value is the measured number the message explains.';

create table private.system_health_history (
  id bigint generated always as identity primary key,
  check_name text not null,
  scope text not null,
  status text not null,
  value numeric,
  message text not null,
  recorded_at timestamptz not null
);
create index system_health_history_recorded_at_idx on private.system_health_history (recorded_at);
comment on table private.system_health_history is
  'Every change of a check''s status (30 days, pruned by prune-health-history).';

create table private.health_alerts (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('problems', 'reminder', 'resolved', 'disconnects')),
  message jsonb not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  -- Taken by one sender at a time, so overlapping runs never post the same message twice.
  claimed_until timestamptz,
  attempts integer not null default 0,
  last_error text
);
create index health_alerts_unsent_idx on private.health_alerts (id) where sent_at is null;
comment on table private.health_alerts is
  'Outbox of Slack messages (Block Kit JSON). Sent by check-system-health; kept unsent, and '
  'retried on the next run, while Slack fails.';

create table private.health_state (
  key text primary key,
  value timestamptz not null
);
comment on table private.health_state is
  'Watermarks of the health checks: last_alert_at, when problems were last announced (reminders '
  'follow from it).';

create table public.bison_daily_stats (
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  day date not null,
  emails_sent integer,
  replies integer,
  interested integer,
  bounces integer,
  unsubscribes integer,
  fetched_at timestamptz not null default now(),
  primary key (workspace_id, day)
);
comment on table public.bison_daily_stats is
  'Email Bison''s own numbers for a workspace''s local day (GET /api/workspaces/v1.1/stats), kept '
  'beside the webhook-derived counters so drift is visible.';

create table private.workspace_catchups (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  replies_seen integer,
  replies_ingested integer,
  error text
);
create index workspace_catchups_workspace_id_started_at_idx
  on private.workspace_catchups (workspace_id, started_at desc);
comment on table private.workspace_catchups is
  'Emergency catch-ups of silent workspaces (cooldown per workspace) and what they recovered.';

insert into private.settings (key, value, description) values
  ('silence_window', '"30 minutes"',
   'A workspace is silent when it received no webhook for this long at an hour of the week that '
   'normally has traffic.'),
  ('silence_min_expected_per_hour', '6',
   'Events per hour a workspace must normally get at this hour of the week (average of the last 4 '
   'weeks) before its silence counts.'),
  ('catchup_cooldown', '"10 minutes"',
   'Minimum time between two emergency catch-ups of one workspace.'),
  ('alert_reminder_interval', '"60 minutes"',
   'How often Slack is reminded while something stays unhealthy.'),
  ('disconnected_share_degraded', '0.05',
   'Share of a workspace''s mailboxes disconnected above which it is degraded.'),
  ('drift_tolerance', '0.1',
   'Relative difference between webhook-derived and Bison-reported daily counts that is drift.');

alter table public.agency_admins enable row level security;
alter table public.system_health enable row level security;
alter table private.system_health_history enable row level security;
alter table private.health_alerts enable row level security;
alter table private.health_state enable row level security;
alter table public.bison_daily_stats enable row level security;
alter table private.workspace_catchups enable row level security;

create policy "admins see who the admins are" on public.agency_admins
  for select to authenticated using ((select private.is_agency_admin()));
create policy "admins see every check, members their workspaces' checks" on public.system_health
  for select to authenticated
  using ((select private.is_agency_admin()) or (select private.is_workspace_member(workspace_id)));
create policy "members read their workspaces' Bison stats" on public.bison_daily_stats
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
create policy "agency admins receive the health topic" on realtime.messages
  for select to authenticated
  using (extension = 'broadcast' and topic = 'health' and (select private.is_agency_admin()));

revoke all on public.agency_admins, public.system_health, public.bison_daily_stats
  from anon, authenticated;
grant select on public.agency_admins, public.system_health, public.bison_daily_stats
  to authenticated;
grant select, insert, update, delete
  on public.agency_admins, public.system_health, public.bison_daily_stats to service_role;
revoke all on private.system_health_history, private.health_alerts, private.health_state,
  private.workspace_catchups from public, anon, authenticated, service_role;
grant select on private.system_health_history, private.health_alerts, private.workspace_catchups
  to service_role;

do $$
begin
  if exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime')
     and not exists (select 1 from pg_catalog.pg_publication_tables
                     where pubname = 'supabase_realtime' and schemaname = 'public'
                       and tablename = 'system_health') then
    alter publication supabase_realtime add table public.system_health;
  end if;
end
$$;
