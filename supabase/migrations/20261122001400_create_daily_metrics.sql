-- Per-day rollups of webhook events, per workspace and per campaign. The day is the event's local
-- date in the workspace's reporting time zone. Rows are only ever incremented by atomic upserts.
create table public.workspace_daily_metrics (
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  day date not null,
  emails_sent integer not null default 0,
  first_contacts integer not null default 0,
  opens integer not null default 0,
  replies integer not null default 0,
  interested integer not null default 0,
  bounces integer not null default 0,
  unsubscribes integer not null default 0,
  manual_emails_sent integer not null default 0,
  untracked_replies integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (workspace_id, day)
);
comment on table public.workspace_daily_metrics is
  'Event counts per workspace and local day (workspace time zone). Kept forever.';

create table public.campaign_daily_metrics (
  campaign_id bigint not null references public.campaigns (id) on delete cascade,
  day date not null,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  emails_sent integer not null default 0,
  first_contacts integer not null default 0,
  opens integer not null default 0,
  replies integer not null default 0,
  interested integer not null default 0,
  bounces integer not null default 0,
  unsubscribes integer not null default 0,
  manual_emails_sent integer not null default 0,
  untracked_replies integer not null default 0,
  updated_at timestamptz not null default now(),
  primary key (campaign_id, day)
);
create index campaign_daily_metrics_workspace_id_day_idx
  on public.campaign_daily_metrics (workspace_id, day);
comment on table public.campaign_daily_metrics is
  'Event counts per Bison campaign and local day (workspace time zone). Kept forever.';

-- Rows updated by nearly every event: room on each page keeps those updates HOT (no index
-- writes).
alter table public.workspace_daily_metrics set (fillfactor = 70);
alter table public.campaign_daily_metrics set (fillfactor = 70);
alter table public.workspace_daily_metrics enable row level security;
alter table public.campaign_daily_metrics enable row level security;
create policy "members read their workspaces' daily metrics" on public.workspace_daily_metrics
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
create policy "members read their workspaces' campaign metrics" on public.campaign_daily_metrics
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));

revoke all on public.workspace_daily_metrics, public.campaign_daily_metrics
  from anon, authenticated;
grant select on public.workspace_daily_metrics, public.campaign_daily_metrics to authenticated;
grant select, insert, update, delete
  on public.workspace_daily_metrics, public.campaign_daily_metrics to service_role;
