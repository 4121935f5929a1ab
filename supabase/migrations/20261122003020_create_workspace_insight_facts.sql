-- The facts insights are written from: aggregates only (never reply text), computed from the
-- stored metrics of one workspace or one campaign for one period, each with a stable id that an
-- insight cites. Security invoker: it reads as the caller, so RLS decides, and a workspace or
-- campaign the caller cannot read raises insufficient_privilege instead of yielding zeros.
--
-- Days are local days in the workspace's reporting time zone, ranges half-open:
--   period    [period_end - period_days, period_end)      period_end defaults to today, so the
--   previous  [start - period_days, start)                 period is the last complete days
--   baseline  [start - 90, start)                           the workspace's own 90 days before
create or replace function public.workspace_insight_facts(
  workspace_id bigint default null,
  campaign_id bigint default null,
  period_days integer default 14,
  period_end date default null
)
returns table (fact_id text, kind text, numbers jsonb)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_workspace_id bigint := workspace_insight_facts.workspace_id;
  v_campaign_id bigint := workspace_insight_facts.campaign_id;
  v_period_days integer := workspace_insight_facts.period_days;
  v_campaign_workspace_id bigint;
  v_campaign_name text;
  v_workspace_name text;
  v_timezone text;
  v_end date;
  v_start date;
  v_previous_start date;
  v_baseline_start date;
  v_range_start timestamptz;
  v_range_end timestamptz;
  -- A campaign is ranked only with at least this many emails sent in the period.
  c_min_campaign_sends constant integer := 100;
  -- bison-api.md: a mailbox under 0.4% reply rate after at least 200 sends is burnt.
  c_burnt_min_sends constant integer := 200;
  c_burnt_max_reply_rate_pct constant numeric := 0.4;
  c_baseline_days constant integer := 90;
begin
  if v_period_days is null or v_period_days not between 1 and 90 then
    raise exception 'period_days must be between 1 and 90, got %',
      coalesce(v_period_days::text, 'null') using errcode = '22023';
  end if;
  if v_workspace_id is null and v_campaign_id is null then
    raise exception 'give a workspace_id or a campaign_id' using errcode = '22023';
  end if;

  if v_campaign_id is not null then
    select c.workspace_id, c.name into v_campaign_workspace_id, v_campaign_name
    from public.campaigns c where c.id = v_campaign_id;
    if v_campaign_workspace_id is null then
      raise exception 'campaign % does not exist or is not visible to the caller', v_campaign_id
        using errcode = '42501';
    end if;
    if v_workspace_id is not null and v_workspace_id <> v_campaign_workspace_id then
      raise exception 'campaign % does not belong to workspace %', v_campaign_id, v_workspace_id
        using errcode = '22023';
    end if;
    v_workspace_id := v_campaign_workspace_id;
  end if;

  select w.name into v_workspace_name from public.workspaces w where w.id = v_workspace_id;
  if not found then
    raise exception 'workspace % does not exist or is not visible to the caller', v_workspace_id
      using errcode = '42501';
  end if;

  v_timezone := coalesce(private.visible_workspace_timezone(v_workspace_id), 'UTC');
  v_end := coalesce(workspace_insight_facts.period_end, (now() at time zone v_timezone)::date);
  v_start := v_end - v_period_days;
  v_previous_start := v_start - v_period_days;
  v_baseline_start := v_start - c_baseline_days;
  v_range_start := v_start::timestamp at time zone v_timezone;
  v_range_end := v_end::timestamp at time zone v_timezone;

  -- What the facts are about.
  return query
  select 'period', 'period', jsonb_build_object(
    'scope', case when v_campaign_id is null then 'workspace' else 'campaign' end,
    'workspace_id', v_workspace_id,
    'workspace_name', v_workspace_name,
    'campaign_id', v_campaign_id,
    'campaign_name', v_campaign_name,
    'period_days', v_period_days,
    'start', v_start,
    'end_exclusive', v_end,
    'previous_start', v_previous_start,
    'baseline_start', v_baseline_start,
    'baseline_days', c_baseline_days,
    'timezone', v_timezone
  );

  -- Volumes in the period against the previous period of equal length, then the rates against
  -- the previous period, the workspace's own 90-day baseline and typical cold-email ranges.
  return query
  with scope_days as (
    select m.day, m.emails_sent, m.replies, m.interested, m.bounces, m.unsubscribes
    from public.workspace_daily_metrics m
    where v_campaign_id is null and m.workspace_id = v_workspace_id
      and m.day >= v_previous_start and m.day < v_end
    union all
    select m.day, m.emails_sent, m.replies, m.interested, m.bounces, m.unsubscribes
    from public.campaign_daily_metrics m
    where v_campaign_id is not null and m.campaign_id = v_campaign_id
      and m.day >= v_previous_start and m.day < v_end
  ),
  totals as (
    select
      coalesce(sum(d.emails_sent) filter (where d.day >= v_start), 0) as sends,
      coalesce(sum(d.emails_sent) filter (where d.day < v_start), 0) as sends_previous,
      coalesce(sum(d.replies) filter (where d.day >= v_start), 0) as replies,
      coalesce(sum(d.replies) filter (where d.day < v_start), 0) as replies_previous,
      coalesce(sum(d.interested) filter (where d.day >= v_start), 0) as interested,
      coalesce(sum(d.interested) filter (where d.day < v_start), 0) as interested_previous,
      coalesce(sum(d.bounces) filter (where d.day >= v_start), 0) as bounces,
      coalesce(sum(d.bounces) filter (where d.day < v_start), 0) as bounces_previous,
      coalesce(sum(d.unsubscribes) filter (where d.day >= v_start), 0) as unsubscribes,
      coalesce(sum(d.unsubscribes) filter (where d.day < v_start), 0) as unsubscribes_previous
    from scope_days d
  ),
  baseline as (
    select
      coalesce(sum(m.emails_sent), 0) as sends,
      coalesce(sum(m.replies), 0) as replies,
      coalesce(sum(m.interested), 0) as interested,
      coalesce(sum(m.bounces), 0) as bounces
    from public.workspace_daily_metrics m
    where m.workspace_id = v_workspace_id and m.day >= v_baseline_start and m.day < v_start
  ),
  facts as (
    select v.ord, v.id, 'volume' as kind, jsonb_build_object(
      'current', v.cur,
      'previous', v.prev,
      'change', v.cur - v.prev,
      'change_pct', private.percent_of(v.cur - v.prev, v.prev)
    ) as numbers
    from totals t
    cross join lateral (values
      (1, 'sends', t.sends, t.sends_previous),
      (2, 'replies', t.replies, t.replies_previous),
      (3, 'interested', t.interested, t.interested_previous),
      (4, 'bounces', t.bounces, t.bounces_previous),
      (5, 'unsubscribes', t.unsubscribes, t.unsubscribes_previous)
    ) v(ord, id, cur, prev)
    union all
    select r.ord, r.id, 'rate', jsonb_build_object(
      'current_pct', private.percent_of(r.cur, t.sends),
      'previous_pct', private.percent_of(r.prev, t.sends_previous),
      'baseline_90d_pct', private.percent_of(r.base, b.sends),
      'baseline_90d_sends', b.sends,
      'sends', t.sends,
      'typical_low_pct', r.low,
      'typical_high_pct', r.high,
      'versus_typical', case
        when private.percent_of(r.cur, t.sends) is null then null
        when private.percent_of(r.cur, t.sends) < r.low then 'below'
        when private.percent_of(r.cur, t.sends) > r.high then 'above'
        else 'within'
      end
    )
    from totals t
    cross join baseline b
    -- Typical cold-email ranges, as percentages of emails sent (rules of thumb, see
    -- docs/insights.md): replies 1-5 %, interested 0.1-1 %, bounces under 2 %.
    cross join lateral (values
      (6, 'reply_rate', t.replies, t.replies_previous, b.replies, 1.0, 5.0),
      (7, 'interested_rate', t.interested, t.interested_previous, b.interested, 0.1, 1.0),
      (8, 'bounce_rate', t.bounces, t.bounces_previous, b.bounces, 0.0, 2.0)
    ) r(ord, id, cur, prev, base, low, high)
  )
  select f.id, f.kind, f.numbers from facts f order by f.ord;

  -- The workspace's best and worst campaigns of the period by interested rate, among those with
  -- enough volume to mean something.
  return query
  with campaign_totals as (
    select c.id, c.name,
      sum(m.emails_sent) as sends, sum(m.replies) as replies, sum(m.interested) as interested
    from public.campaign_daily_metrics m
    join public.campaigns c on c.id = m.campaign_id
    where m.workspace_id = v_workspace_id and m.day >= v_start and m.day < v_end
    group by c.id, c.name
    having sum(m.emails_sent) >= c_min_campaign_sends
  ),
  ranked as (
    select t.*,
      row_number() over (
        order by t.interested::numeric / t.sends desc, t.sends desc, t.id) as best,
      row_number() over (
        order by t.interested::numeric / t.sends asc, t.sends desc, t.id) as worst,
      count(*) over () as eligible
    from campaign_totals t
  )
  select x.id, 'campaign_rank', jsonb_build_object(
    'campaign_id', r.id,
    'name', r.name,
    'sends', r.sends,
    'replies', r.replies,
    'interested', r.interested,
    'interested_rate_pct', private.percent_of(r.interested, r.sends),
    'reply_rate_pct', private.percent_of(r.replies, r.sends),
    'eligible_campaigns', r.eligible,
    'min_sends', c_min_campaign_sends
  )
  from ranked r
  cross join lateral (values
    ('best_campaign', r.best = 1),
    ('worst_campaign', r.worst = 1 and r.eligible >= 2)
  ) x(id, chosen)
  where x.chosen
  order by x.id;

  -- Days of the week that produced the most replies in the period (scope's day rows).
  return query
  with by_weekday as (
    select extract(isodow from d.day)::integer as isodow,
      sum(d.emails_sent) as sends, sum(d.replies) as replies
    from (
      select m.day, m.emails_sent, m.replies from public.workspace_daily_metrics m
      where v_campaign_id is null and m.workspace_id = v_workspace_id
        and m.day >= v_start and m.day < v_end
      union all
      select m.day, m.emails_sent, m.replies from public.campaign_daily_metrics m
      where v_campaign_id is not null and m.campaign_id = v_campaign_id
        and m.day >= v_start and m.day < v_end
    ) d
    group by 1
    having sum(d.emails_sent) > 0 or sum(d.replies) > 0
  )
  select 'reply_days', 'timing', jsonb_build_object(
    'days', jsonb_agg(jsonb_build_object(
      'weekday', (array['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday',
                        'Sunday'])[w.isodow],
      'isodow', w.isodow,
      'replies', w.replies,
      'sends', w.sends,
      'reply_rate_pct', private.percent_of(w.replies, w.sends)
    ) order by w.replies desc, w.isodow),
    'total_replies', sum(w.replies)
  )
  from by_weekday w
  having sum(w.replies) > 0;

  -- Local hours at which campaign replies (not auto-replies) arrived in the period: the top 5.
  return query
  with by_hour as (
    select extract(hour from r.received_at at time zone v_timezone)::integer as hour,
      count(*) as replies
    from public.replies r
    where r.workspace_id = v_workspace_id
      and r.received_at >= v_range_start and r.received_at < v_range_end
      and not r.automated
      and r.campaign_id is not null
      and (v_campaign_id is null or r.campaign_id = v_campaign_id)
    group by 1
  )
  select 'reply_hours', 'timing', jsonb_build_object(
    'hours', (
      select jsonb_agg(jsonb_build_object('hour', top.hour, 'replies', top.replies)
                       order by top.replies desc, top.hour)
      from (select h.hour, h.replies from by_hour h
            order by h.replies desc, h.hour limit 5) top
    ),
    'total_replies', sum(h.replies)
  )
  from by_hour h
  having count(*) > 0;

  -- The workspace's mailboxes (lifetime Bison counters; removed ones left out): provider mix
  -- with reply rates, and how many are burnt or disconnected.
  return query
  with mailboxes as (
    select
      case
        when s.connection_type is null then 'unknown'
        when s.connection_type ilike '%google%' or s.connection_type ilike '%gmail%'
          then 'google'
        when s.connection_type ilike '%microsoft%' or s.connection_type ilike '%outlook%'
          or s.connection_type ilike '%office%' then 'microsoft'
        else 'other'
      end as provider,
      coalesce(s.emails_sent, 0) as sends,
      coalesce(s.unique_replies, s.replied, 0) as replies,
      s.status
    from public.sender_emails s
    where s.workspace_id = v_workspace_id and s.status is distinct from 'removed'
  ),
  by_provider as (
    select m.provider, count(*) as mailboxes, sum(m.sends) as sends, sum(m.replies) as replies
    from mailboxes m group by m.provider
  )
  select 'provider_mix', 'mailboxes', jsonb_build_object(
    'window', 'lifetime',
    'providers', jsonb_agg(jsonb_build_object(
      'provider', p.provider,
      'mailboxes', p.mailboxes,
      'emails_sent', p.sends,
      'replies', p.replies,
      'reply_rate_pct', private.percent_of(p.replies, p.sends)
    ) order by p.sends desc, p.provider)
  )
  from by_provider p
  having count(*) > 0
  union all
  select 'mailbox_health', 'mailboxes', jsonb_build_object(
    'window', 'lifetime',
    'mailboxes', count(*),
    'connected', count(*) filter (where m.status = 'connected'),
    'disconnected', count(*) filter (
      where m.status in ('disconnected', 'not connected', 'failed')),
    'burnt', count(*) filter (
      where m.sends >= c_burnt_min_sends
        and 100.0 * m.replies < c_burnt_max_reply_rate_pct * m.sends),
    'burnt_min_sends', c_burnt_min_sends,
    'burnt_below_reply_rate_pct', c_burnt_max_reply_rate_pct
  )
  from mailboxes m
  having count(*) > 0;
end;
$$;

comment on function public.workspace_insight_facts(bigint, bigint, integer, date) is
  'The facts insights are grounded in, for a workspace (or a campaign: give campaign_id; '
  'workspace_id may then be null) over period_days (1-90, default 14) local days ending before '
  'period_end (default: today in the workspace time zone). Rows (fact_id, kind, numbers): period; '
  'sends/replies/interested/bounces/unsubscribes against the previous period; '
  'reply_rate/interested_rate/bounce_rate (percent of sends) against the previous period, the '
  'workspace''s 90-day baseline and typical ranges; best_campaign/worst_campaign by interested '
  'rate (min 100 sends); reply_days; reply_hours (local, top 5); provider_mix and '
  'mailbox_health (when the workspace has mailboxes). Aggregates only, never reply text. '
  'Security invoker: raises 42501 when the caller cannot read the workspace or campaign, 22023 '
  'on bad arguments.';

revoke all on function public.workspace_insight_facts(bigint, bigint, integer, date)
  from public, anon, authenticated;
grant execute on function public.workspace_insight_facts(bigint, bigint, integer, date)
  to authenticated, service_role;
