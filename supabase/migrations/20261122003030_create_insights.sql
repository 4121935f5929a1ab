-- Generated insights, one row per generation: the scope and period they are about, where they
-- came from (Claude or the deterministic rules), the insights themselves, the facts they cite
-- (so a dashboard can show the numbers behind each one), who asked and when. Written only by the
-- insights function (service side); members read their workspaces' rows. Each new row is
-- broadcast privately on workspace:<id>:insights, event insights_generated.
create table public.insights (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  campaign_id bigint references public.campaigns (id) on delete cascade,
  period_days integer not null check (period_days between 1 and 90),
  period_start date not null,
  period_end date not null,
  source text not null check (source in ('claude', 'rules')),
  model text,
  items jsonb not null
    check (jsonb_typeof(items) = 'array' and jsonb_array_length(items) between 1 and 5),
  facts jsonb not null check (jsonb_typeof(facts) = 'array'),
  requested_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint insights_period_is_consistent check (period_end = period_start + period_days),
  constraint insights_model_matches_source check ((source = 'claude') = (model is not null))
);
create index insights_workspace_id_created_at_idx on public.insights (workspace_id, created_at desc);
create index insights_campaign_id_idx on public.insights (campaign_id) where campaign_id is not null;
create index insights_requested_by_idx on public.insights (requested_by)
  where requested_by is not null;

comment on table public.insights is
  'Insights generated for a workspace (campaign_id null) or a campaign over the local days '
  '[period_start, period_end). source: claude (model says which) or rules. items: 1-5 of '
  '{key, value, metric, trend: up|down|neutral, fact_ids}; facts: the {id, kind, numbers} they '
  'cite. requested_by: the member who asked, null for scheduled generation.';

alter table public.insights enable row level security;
create policy "members read their workspaces' insights" on public.insights
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));

revoke all on public.insights from anon, authenticated;
grant select on public.insights to authenticated;
grant select, insert, update, delete on public.insights to service_role;

create or replace function private.broadcast_insights()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'id', new.id,
      'workspace_id', new.workspace_id,
      'campaign_id', new.campaign_id,
      'period_days', new.period_days,
      'period_start', new.period_start,
      'period_end', new.period_end,
      'source', new.source,
      'model', new.model,
      'items', new.items,
      'created_at', new.created_at
    ),
    'insights_generated',
    'workspace:' || new.workspace_id || ':insights',
    true
  );
  return null;
end;
$$;
comment on function private.broadcast_insights() is
  'Trigger: sends a new public.insights row (without its facts) as a private broadcast, event '
  'insights_generated, topic workspace:<workspace_id>:insights, which only members of the '
  'workspace may receive. Security definer so that whoever inserts may write realtime.messages.';

create trigger insights_broadcast
  after insert on public.insights
  for each row execute function private.broadcast_insights();
