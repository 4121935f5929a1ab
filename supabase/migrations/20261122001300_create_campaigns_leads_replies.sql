-- What a workspace's events are about: its campaigns, its leads (with a pipeline status that only
-- moves forward) and the replies received (personal data: members only).
create table public.campaigns (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  bison_campaign_id bigint not null,
  name text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, bison_campaign_id)
);
comment on table public.campaigns is 'Bison campaigns per workspace, as seen in events.';

create table public.leads (
  id bigint generated always as identity primary key,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  bison_lead_id bigint not null,
  email text check (email is null or email = lower(email)),
  first_name text,
  last_name text,
  company text,
  title text,
  status text not null default 'contacted'
    check (status in ('contacted', 'replied', 'interested', 'bounced', 'unsubscribed')),
  first_contacted_at timestamptz,
  first_replied_at timestamptz,
  interested_at timestamptz,
  bounced_at timestamptz,
  unsubscribed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, bison_lead_id)
);
comment on table public.leads is
  'Leads per (workspace, Bison lead id). status only moves forward: contacted -> replied -> '
  'interested; bounced and unsubscribed are terminal. first_replied_at and interested_at are set '
  'once, whatever order events arrive in.';

create table public.replies (
  id bigint generated always as identity primary key,
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  workspace_id bigint not null references public.workspaces (id) on delete cascade,
  bison_reply_id bigint not null,
  bison_uuid text,
  lead_id bigint references public.leads (id) on delete set null,
  campaign_id bigint references public.campaigns (id) on delete set null,
  sender_email_id bigint references public.sender_emails (id) on delete set null,
  received_at timestamptz,
  subject text,
  text_body text,
  from_email text,
  interested boolean not null default false,
  automated boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (connection_id, bison_reply_id)
);
create index replies_workspace_id_received_at_idx on public.replies (workspace_id, received_at);
create index replies_lead_id_idx on public.replies (lead_id);
create index replies_campaign_id_idx on public.replies (campaign_id);
create index replies_sender_email_id_idx on public.replies (sender_email_id);
comment on table public.replies is
  'Replies by Bison reply id. Subject and text are personal data: readable by members only. '
  'interested, once true, stays true.';

alter table public.campaigns enable row level security;
-- Rows updated by nearly every event: room on each page keeps those updates HOT (no index
-- writes).
alter table public.leads set (fillfactor = 70);
alter table public.leads enable row level security;
alter table public.replies enable row level security;
create policy "members read their workspaces' campaigns" on public.campaigns
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
create policy "members read their workspaces' leads" on public.leads
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
create policy "members read their workspaces' replies" on public.replies
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));

revoke all on public.campaigns, public.leads, public.replies from anon, authenticated;
grant select on public.campaigns, public.leads, public.replies to authenticated;
grant select, insert, update, delete on public.campaigns, public.leads, public.replies
  to service_role;
