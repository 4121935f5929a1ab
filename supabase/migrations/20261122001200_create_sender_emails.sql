-- Mailboxes (Bison "sender emails"), written by webhook ingest and by the inventory poller.
-- Counters are Bison's lifetime counters; they only move forward in time (bison_updated_at).
create table public.sender_emails (
  id bigint generated always as identity primary key,
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  bison_sender_email_id bigint not null,
  workspace_id bigint references public.workspaces (id) on delete set null,
  email text,
  name text,
  status text check (status is null or status = lower(status)),
  connection_type text,
  daily_limit integer,
  warmup_enabled boolean,
  emails_sent bigint,
  replied bigint,
  opened bigint,
  unsubscribed bigint,
  bounced bigint,
  unique_replies bigint,
  unique_opens bigint,
  total_leads_contacted bigint,
  interested bigint,
  bison_updated_at timestamptz,
  connected_at timestamptz,
  disconnected_at timestamptz,
  -- When we learned of the disconnection (server time): alerts scan on it, since Bison's own
  -- time may arrive late with a retried webhook.
  disconnect_recorded_at timestamptz,
  disconnect_alerted_at timestamptz,
  removed_at timestamptz,
  warmup_disabled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (connection_id, bison_sender_email_id)
);
create index sender_emails_workspace_id_idx on public.sender_emails (workspace_id);
comment on table public.sender_emails is
  'Mailboxes per (connection, Bison sender email id). status is lower-case (connected, '
  'disconnected, removed, ...). Counters are Bison lifetime counters, applied only when newer '
  'than bison_updated_at.';

-- Rows updated by nearly every event: room on each page keeps those updates HOT (no index
-- writes).
alter table public.sender_emails set (fillfactor = 70);
create or replace function private.record_mailbox_disconnect()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'disconnected'
     and (tg_op = 'INSERT' or old.status is distinct from 'disconnected') then
    new.disconnect_recorded_at := clock_timestamp();
  end if;
  return new;
end;
$$;
comment on function private.record_mailbox_disconnect() is
  'Trigger: stamps disconnect_recorded_at when a mailbox becomes disconnected, whichever path '
  '(webhook or poll) reported it.';

create trigger sender_emails_record_disconnect
  before insert or update of status on public.sender_emails
  for each row execute function private.record_mailbox_disconnect();

alter table public.sender_emails enable row level security;
create policy "members read their workspaces' mailboxes" on public.sender_emails
  for select to authenticated using ((select private.is_workspace_member(workspace_id)));
revoke all on public.sender_emails from anon, authenticated;
grant select on public.sender_emails to authenticated;
grant select, insert, update, delete on public.sender_emails to service_role;
