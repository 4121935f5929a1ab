-- Charts need one point per local day, days without events included, and the reporting period's
-- days (private.reporting_period), not the UTC calendar's: a stable RPC returns them zero-filled.
create or replace function public.workspace_daily_series(workspace_id bigint, days integer default 30)
returns table (
  day date,
  emails_sent integer,
  first_contacts integer,
  opens integer,
  replies integer,
  interested integer,
  bounces integer,
  unsubscribes integer,
  source text
)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_workspace_id bigint := workspace_daily_series.workspace_id;
  v_days integer := workspace_daily_series.days;
begin
  if v_days is null or v_days not between 1 and 366 then
    raise exception 'days must be between 1 and 366, got %', coalesce(v_days::text, 'null')
      using errcode = '22023';
  end if;
  -- Row level security decides: a workspace the caller cannot read is refused, never answered
  -- with zeros in another time zone.
  perform 1 from public.workspaces w where w.id = v_workspace_id;
  if not found then
    raise exception 'workspace % does not exist or is not visible to the caller',
      coalesce(v_workspace_id::text, 'null') using errcode = '42501';
  end if;

  return query
  select d.day,
         coalesce(m.emails_sent, 0), coalesce(m.first_contacts, 0), coalesce(m.opens, 0),
         coalesce(m.replies, 0), coalesce(m.interested, 0), coalesce(m.bounces, 0),
         coalesce(m.unsubscribes, 0), m.source
  from private.reporting_period(v_workspace_id, v_days) p
  cross join lateral generate_series(0, p.end_exclusive - p.start - 1) offset_days(n)
  cross join lateral (select p.start + offset_days.n as day) d
  left join public.workspace_daily_metrics m
    on m.workspace_id = v_workspace_id and m.day = d.day
  order by d.day;
end;
$$;
comment on function public.workspace_daily_series(bigint, integer) is
  'One row per local day of a workspace for the last `days` days (1-366, default 30) ending with '
  'today, today so far included, oldest first: (day, emails_sent, first_contacts, opens, '
  'replies, interested, bounces, unsubscribes, source). Days are in the workspace''s reporting '
  'time zone; a day without any row has zeros and source null; otherwise source says where the '
  'day''s numbers come from (events, bison_stats, bison_stats_and_events; see '
  'public.workspace_daily_metrics.source). Call it as rpc(''workspace_daily_series'', '
  '{workspace_id, days}). Raises 22023 for days outside 1-366 and 42501 for a workspace that does '
  'not exist or that you may not read.';

revoke all on function public.workspace_daily_series(bigint, integer)
  from public, anon, authenticated, service_role;
grant execute on function public.workspace_daily_series(bigint, integer)
  to authenticated, service_role;
