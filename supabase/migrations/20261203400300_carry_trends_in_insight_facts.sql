-- Insight trends come from the facts. insights/rules.ts decided "up", "down" or "neutral" itself,
-- with a 5 % threshold written in TypeScript and a change it recomputed instead of reading the
-- facts' change_pct. The threshold is now the setting insight_trend_threshold_pct, the trend is
-- defined once (private.insight_trend), and every volume and rate fact carries its change_pct,
-- trend and the threshold, for the rules and Claude alike. The best and worst campaigns are
-- ranked by their interested rate as private.percent_of defines it (no second division).
insert into private.settings (key, value, description) values
  ('insight_trend_threshold_pct', '5',
   'A volume or rate of an insight period that moved by more than this percentage of its earlier '
   'value (the previous period, else the baseline) is trending up or down; less is neutral.')
on conflict (key) do nothing;

-- insight_rule() gains the trend threshold: its result type changes, so it is made again.
drop function private.insight_rule();
create function private.insight_rule()
returns table (campaign_min_sends bigint, baseline_days integer, typical_rates_pct jsonb,
               trend_threshold_pct numeric)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  min_sends jsonb := private.setting('insight_campaign_min_sends');
  baseline jsonb := private.setting('insight_baseline_days');
  typical jsonb := private.setting('insight_typical_rates_pct');
  trend jsonb := private.setting('insight_trend_threshold_pct');
begin
  if jsonb_typeof(min_sends) is distinct from 'number' or min_sends::text::numeric < 0 then
    raise exception 'setting insight_campaign_min_sends must be a number of at least 0'
      using errcode = '55000';
  end if;
  if jsonb_typeof(baseline) is distinct from 'number'
     or baseline::text::numeric not between 1 and 366 then
    raise exception 'setting insight_baseline_days must be a number of days from 1 to 366'
      using errcode = '55000';
  end if;
  if jsonb_typeof(typical) is distinct from 'object' or exists (
    select 1 from unnest(array['reply_rate', 'interested_rate', 'bounce_rate']) k
    where jsonb_typeof(typical -> k) is distinct from 'array'
       or jsonb_typeof(typical -> k -> 0) is distinct from 'number'
       or jsonb_typeof(typical -> k -> 1) is distinct from 'number')
  then
    raise exception 'setting insight_typical_rates_pct must give [low, high] percentages for '
      'reply_rate, interested_rate and bounce_rate' using errcode = '55000';
  end if;
  if jsonb_typeof(trend) is distinct from 'number' or trend::text::numeric < 0 then
    raise exception 'setting insight_trend_threshold_pct must be a percentage of at least 0'
      using errcode = '55000';
  end if;
  return query select min_sends::text::numeric::bigint, baseline::text::numeric::integer, typical,
                      trend::text::numeric;
end;
$$;
comment on function private.insight_rule() is
  'The insight thresholds from private.settings (insight_campaign_min_sends, '
  'insight_baseline_days, insight_typical_rates_pct, insight_trend_threshold_pct), validated '
  '(55000 when invalid or missing). Security definer so that facts computed as a member can read '
  'them and nothing else of the settings.';
revoke all on function private.insight_rule() from public, anon, authenticated;
grant execute on function private.insight_rule() to authenticated, service_role;

create or replace function private.insight_trend(
  current_value numeric,
  earlier_value numeric,
  threshold_pct numeric
)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when current_value is null or earlier_value is null then 'neutral'
    when earlier_value = 0 then case when current_value > 0 then 'up' else 'neutral' end
    when private.percent_of(current_value - earlier_value, abs(earlier_value)) > threshold_pct
      then 'up'
    when private.percent_of(current_value - earlier_value, abs(earlier_value)) < -threshold_pct
      then 'down'
    else 'neutral'
  end;
$$;
comment on function private.insight_trend(numeric, numeric, numeric) is
  'The trend of an insight number: up or down when it moved by more than threshold_pct percent of '
  'its earlier value (up from 0 when it grew from nothing), neutral otherwise or when either is '
  'unknown.';
revoke all on function private.insight_trend(numeric, numeric, numeric)
  from public, anon, authenticated;
grant execute on function private.insight_trend(numeric, numeric, numeric)
  to authenticated, service_role;

-- Days are local days in the workspace's reporting time zone, ranges half-open:
--   period    [start, end_exclusive)     private.reporting_period: the period_days days ending
--                                        with today (today included), or before period_end
--   previous  [start - period_days, start)
--   baseline  [start - insight_baseline_days, start)
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
  v_today date;
  v_range_start timestamptz;
  v_range_end timestamptz;
  v_rule record;
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

  select p.start, p.end_exclusive, p.today, p.timezone
  into v_start, v_end, v_today, v_timezone
  from private.reporting_period(v_workspace_id, v_period_days, workspace_insight_facts.period_end) p;
  select * into v_rule from private.insight_rule();
  v_previous_start := v_start - v_period_days;
  v_baseline_start := v_start - v_rule.baseline_days;
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
    'last_day', v_end - 1,
    'includes_today', v_today >= v_start and v_today < v_end,
    'today', v_today,
    'previous_start', v_previous_start,
    'baseline_start', v_baseline_start,
    'baseline_days', v_rule.baseline_days,
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
      'change_pct', private.percent_of(v.cur - v.prev, v.prev),
      'trend', private.insight_trend(v.cur, v.prev, v_rule.trend_threshold_pct),
      'trend_threshold_pct', v_rule.trend_threshold_pct
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
      'current_pct', r.current_pct,
      'previous_pct', r.previous_pct,
      'baseline_90d_pct', r.baseline_pct,
      -- The trend: against the previous period, or the baseline when there was nothing before.
      'compared_with', case when r.previous_pct is not null then 'previous'
                            when r.baseline_pct is not null then 'baseline' end,
      'change_pct', private.percent_of(r.current_pct - coalesce(r.previous_pct, r.baseline_pct),
                                       coalesce(r.previous_pct, r.baseline_pct)),
      'trend', private.insight_trend(r.current_pct, coalesce(r.previous_pct, r.baseline_pct),
                                     v_rule.trend_threshold_pct),
      'trend_threshold_pct', v_rule.trend_threshold_pct,
      'baseline_90d_sends', b.sends,
      'sends', t.sends,
      'typical_low_pct', r.low,
      'typical_high_pct', r.high,
      'versus_typical', case
        when r.current_pct is null then null
        when r.current_pct < r.low then 'below'
        when r.current_pct > r.high then 'above'
        else 'within'
      end
    )
    from totals t
    cross join baseline b
    -- Typical cold-email ranges, as percentages of emails sent (the insight_typical_rates_pct
    -- setting; rules of thumb, see docs/insights.md).
    cross join lateral (values
      (6, 'reply_rate', t.replies, t.replies_previous, b.replies),
      (7, 'interested_rate', t.interested, t.interested_previous, b.interested),
      (8, 'bounce_rate', t.bounces, t.bounces_previous, b.bounces)
    ) v(ord, id, cur, prev, base)
    cross join lateral (
      select v.*, (v_rule.typical_rates_pct #>> array[v.id, '0'])::numeric as low,
             (v_rule.typical_rates_pct #>> array[v.id, '1'])::numeric as high,
             private.percent_of(v.cur, t.sends) as current_pct,
             private.percent_of(v.prev, t.sends_previous) as previous_pct,
             private.percent_of(v.base, b.sends) as baseline_pct
    ) r
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
    having sum(m.emails_sent) >= v_rule.campaign_min_sends
  ),
  ranked as (
    select t.*,
      row_number() over (
        order by private.percent_of(t.interested, t.sends) desc, t.sends desc, t.id) as best,
      row_number() over (
        order by private.percent_of(t.interested, t.sends) asc, t.sends desc, t.id) as worst,
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
    'min_sends', v_rule.campaign_min_sends
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

  -- The workspace's mailboxes (lifetime Bison counters; removed ones left out), on the
  -- project's definitions: provider as classified (private.classify_mailbox), status groups
  -- (private.mailbox_status_group), burnt (private.is_burnt_mailbox), rates (percent_of).
  return query
  with mailboxes as (
    select coalesce(s.provider, 'Unknown') as provider, s.emails_sent, s.unique_replies,
           s.status_group
    from public.sender_emails s
    where s.workspace_id = v_workspace_id
      and s.status_group <> 'removed'
  ),
  by_provider as (
    select m.provider, count(*) as mailboxes, coalesce(sum(m.emails_sent), 0) as sends,
           coalesce(sum(m.unique_replies), 0) as replies
    from mailboxes m group by m.provider
  )
  select 'provider_mix', 'mailboxes', jsonb_build_object(
    'window', 'lifetime',
    'providers', jsonb_agg(jsonb_build_object(
      'provider', p.provider,
      'mailboxes', p.mailboxes,
      'emails_sent', p.sends,
      'unique_replies', p.replies,
      'reply_rate_pct', private.percent_of(p.replies, p.sends)
    ) order by p.sends desc, p.provider)
  )
  from by_provider p
  having count(*) > 0
  union all
  select 'mailbox_health', 'mailboxes', jsonb_build_object(
    'window', 'lifetime',
    'mailboxes', count(*),
    'connected', count(*) filter (where m.status_group = 'connected'),
    'disconnected', count(*) filter (where m.status_group = 'disconnected'),
    'unknown_status', count(*) filter (where m.status_group = 'unknown'),
    'burnt', count(*) filter (
      where private.is_burnt_mailbox(m.emails_sent, m.unique_replies, b.min_emails_sent,
                                     b.below_reply_rate_pct)),
    'burnt_min_emails_sent', min(b.min_emails_sent),
    'burnt_below_reply_rate_pct', min(b.below_reply_rate_pct)
  )
  from mailboxes m
  cross join private.burnt_rule() b
  having count(*) > 0;
end;
$$;

comment on function public.workspace_insight_facts(bigint, bigint, integer, date) is
  'The facts insights are grounded in, for a workspace (or a campaign: give campaign_id; '
  'workspace_id may then be null) over period_days (1-90, default 14) local days: by default '
  'the days ending with today (today so far included), or those before period_end '
  '(private.reporting_period). Rows (fact_id, kind, numbers): period (its bounds: start, '
  'last_day, end_exclusive, includes_today, timezone); sends/replies/interested/bounces/'
  'unsubscribes against the previous period; reply_rate/interested_rate/bounce_rate (percent of '
  'sends) against the previous period, the workspace''s baseline and typical ranges; each volume '
  'and rate with its change_pct and trend (up/down beyond insight_trend_threshold_pct, else '
  'neutral; private.insight_trend); '
  'best_campaign/worst_campaign by interested rate; reply_days; reply_hours (local, top 5); '
  'provider_mix (stored provider) and mailbox_health (status groups, burnt rule) when the '
  'workspace has mailboxes. Thresholds from private.settings. Aggregates only, never reply text. '
  'Security invoker: raises 42501 when the caller cannot read the workspace or campaign, 22023 '
  'on bad arguments.';

