-- The live feed's rows as they happen: when a reply arrives or becomes interested, its row of
-- public.activity_feed is broadcast privately on workspace:<id>:activity (event activity), which
-- the members of the workspace (and agency admins) may receive, as for workspace:<id>:metrics.
-- A reply that happened long before it reached the mirror (a catch-up, a replay) is no news: only
-- activity newer than activity_broadcast_max_age is sent, so a replay cannot flood the topic.
-- One small trigger of its own, so that batching broadcasts later can take it over unchanged.
insert into private.settings (key, value, description) values
  ('activity_broadcast_max_age', '"1 day"',
   'Replies and interest older than this when they reach the mirror are not broadcast on '
   'workspace:<id>:activity (they still appear in public.activity_feed).')
on conflict (key) do nothing;

create or replace function private.broadcast_workspace_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  kinds text[] := array[]::text[];
  activity record;
begin
  if new.received_at is not null and not new.automated
     and (tg_op = 'INSERT' or old.received_at is null or old.automated) then
    kinds := kinds || 'reply'::text;
  end if;
  if new.interested_at is not null
     and (tg_op = 'INSERT' or new.interested_at is distinct from old.interested_at) then
    kinds := kinds || 'interested'::text;
  end if;
  if cardinality(kinds) = 0 then
    return null;
  end if;
  for activity in
    select a.* from public.activity_feed a
    where a.reply_id = new.id and a.kind = any (kinds)
      and a.occurred_at >= now()
        - private.setting_interval('activity_broadcast_max_age', interval '1 day')
  loop
    perform realtime.send(to_jsonb(activity), 'activity',
                          'workspace:' || activity.workspace_id || ':activity', true);
  end loop;
  return null;
end;
$$;
comment on function private.broadcast_workspace_activity() is
  'Trigger on public.replies: when a reply is received (not an auto-reply) or becomes interested, '
  'sends its public.activity_feed row as a private broadcast (event activity, topic '
  'workspace:<workspace_id>:activity), unless it happened more than activity_broadcast_max_age '
  'ago. Security definer so that whoever writes the reply may write realtime.messages.';

create trigger replies_broadcast_activity_on_insert
  after insert on public.replies
  for each row
  when (new.received_at is not null or new.interested_at is not null)
  execute function private.broadcast_workspace_activity();
create trigger replies_broadcast_activity_on_update
  after update of received_at, interested_at, automated on public.replies
  for each row
  when (new.received_at is distinct from old.received_at
        or new.interested_at is distinct from old.interested_at
        or new.automated is distinct from old.automated)
  execute function private.broadcast_workspace_activity();
