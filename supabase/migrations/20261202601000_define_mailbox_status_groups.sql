-- What a mailbox's status means, defined once. Bison's REST API says Connected, Not connected,
-- Disconnected or Failed, its webhooks say connected, and the mirror itself writes removed; every
-- check, snapshot, insight and alert asks this function which group a status belongs to instead
-- of comparing status with literals of its own.
create or replace function private.mailbox_status_group(status text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case lower(btrim(status))
    when 'connected' then 'connected'
    when 'disconnected' then 'disconnected'
    when 'not connected' then 'disconnected'
    when 'failed' then 'disconnected'
    when 'removed' then 'removed'
    else 'unknown'
  end;
end;
$$;
comment on function private.mailbox_status_group(text) is
  'The group of a mailbox status: connected; disconnected (disconnected, not connected, failed: '
  'the mailbox cannot send until someone reconnects it); removed (gone from Bison); unknown '
  '(null or anything else, counted only in totals). Case and surrounding spaces are ignored.';
grant execute on function private.mailbox_status_group(text) to authenticated, service_role;

-- Stored beside the status it derives from, so that checks over thousands of mailboxes read a
-- column instead of calling the function per row. Derived, never written: if the definition
-- ever changes, `update public.sender_emails set status = status` (and the same on the
-- snapshots) brings the stored groups up to date.
alter table public.sender_emails
  add column status_group text not null
    generated always as (private.mailbox_status_group(status)) stored;
comment on column public.sender_emails.status_group is
  'private.mailbox_status_group(status): connected, disconnected, removed or unknown.';
alter table public.sender_email_daily_snapshots
  add column status_group text not null
    generated always as (private.mailbox_status_group(status)) stored;
comment on column public.sender_email_daily_snapshots.status_group is
  'private.mailbox_status_group(status) of the mailbox at the end of the day.';

-- Disconnect alerts follow the group: a mailbox that fails or is "not connected" needs the same
-- human as one that disconnected.
create or replace function private.record_mailbox_disconnect()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if private.mailbox_status_group(new.status) = 'disconnected'
     and (tg_op = 'INSERT' or private.mailbox_status_group(old.status) <> 'disconnected') then
    new.disconnect_recorded_at := clock_timestamp();
  end if;
  return new;
end;
$$;
comment on function private.record_mailbox_disconnect() is
  'Trigger: stamps disconnect_recorded_at when a mailbox enters the disconnected status group '
  '(private.mailbox_status_group), whichever path (webhook or poll) reported it.';
