-- Dashboards receive each change of a workspace's day row as a private Realtime broadcast on
-- workspace:<id>:metrics; only members of that workspace may receive it. The metric tables are
-- also published for clients that prefer postgres_changes (RLS applies there too).
create or replace function private.workspace_id_from_topic(topic text)
returns bigint
language sql
immutable
set search_path = ''
as $$
  select (regexp_match(topic, '^workspace:(\d{1,18}):'))[1]::bigint;
$$;
comment on function private.workspace_id_from_topic(text) is
  'The workspace id in a topic named workspace:<id>:<channel>, else null.';

create or replace function private.broadcast_workspace_metrics()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- The whole day row (workspace_id, day, every counter, updated_at): a new counter column is
  -- broadcast without touching this function.
  perform realtime.send(
    to_jsonb(new),
    'metrics_updated',
    'workspace:' || new.workspace_id || ':metrics',
    true
  );
  return null;
end;
$$;
comment on function private.broadcast_workspace_metrics() is
  'Trigger: sends the new day row of workspace_daily_metrics as a private broadcast '
  '(event metrics_updated, topic workspace:<workspace_id>:metrics). Security definer so that '
  'whoever changes the row may write realtime.messages.';

create trigger workspace_daily_metrics_broadcast
  after insert or update on public.workspace_daily_metrics
  for each row execute function private.broadcast_workspace_metrics();

grant execute on function private.workspace_id_from_topic(text) to authenticated;

create policy "members receive their workspaces' broadcasts" on realtime.messages
  for select to authenticated
  using (
    extension = 'broadcast'
    and (select private.is_workspace_member(private.workspace_id_from_topic(topic)))
  );

do $$
declare
  metrics_table text;
begin
  if exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    foreach metrics_table in array array['workspace_daily_metrics', 'campaign_daily_metrics'] loop
      if not exists (
        select 1 from pg_catalog.pg_publication_tables
        where pubname = 'supabase_realtime' and schemaname = 'public'
          and tablename = metrics_table
      ) then
        execute format('alter publication supabase_realtime add table public.%I', metrics_table);
      end if;
    end loop;
  end if;
end
$$;
