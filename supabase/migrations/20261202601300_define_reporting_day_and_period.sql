-- The reporting day, defined once: an instant belongs to the local date of its workspace's
-- reporting zone (the workspace's own, else its connection's, else UTC). "The last N days" is
-- defined once too: the N local days ending with today, today so far included, as the half-open
-- range [start, end_exclusive). Webhook rollups, campaign metrics, insight facts and drift checks
-- all ask these two functions.
create or replace function private.local_day(target_workspace_id bigint, at timestamptz)
returns date
language plpgsql
stable
set search_path = ''
as $$
begin
  return (at at time zone private.workspace_timezone(target_workspace_id))::date;
end;
$$;
comment on function private.local_day(bigint, timestamptz) is
  'The reporting day of an instant for a workspace: its local date in the workspace''s '
  'reporting zone (private.workspace_timezone). Security invoker: null for a workspace the '
  'caller cannot read.';

create or replace function private.reporting_period(
  target_workspace_id bigint,
  days integer,
  period_end date default null
)
returns table (start date, end_exclusive date, today date, timezone text)
language plpgsql
stable
set search_path = ''
as $$
declare
  zone text := coalesce(private.workspace_timezone(target_workspace_id), 'UTC');
  local_today date := (now() at time zone zone)::date;
  until date := coalesce(reporting_period.period_end, local_today + 1);
begin
  if days is null or days < 1 then
    raise exception 'a period has at least 1 day, got %', coalesce(days::text, 'null')
      using errcode = '22023';
  end if;
  return query select until - days, until, local_today, zone;
end;
$$;
comment on function private.reporting_period(bigint, integer, date) is
  'The period of days local days of a workspace, as [start, end_exclusive): by default the days '
  'ending with today (today so far included, end_exclusive = tomorrow); with period_end, the '
  'days before period_end. Also returns today and the zone (UTC for a workspace the caller cannot read). '
  'Raises 22023 for fewer than 1 day.';

grant execute on function private.local_day(bigint, timestamptz) to authenticated, service_role;
grant execute on function private.reporting_period(bigint, integer, date)
  to authenticated, service_role;
