-- The facts function refuses bad arguments clearly (22023) and defaults the period to the last
-- local days ending with today (today so far included) in the workspace's time zone.
begin;
select plan(8);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000f003', 'facts-arguments', 'https://send.example.test',
        'Pacific/Kiritimati');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values
  (900021, '00000000-0000-4000-8000-00000000f003', 1, 'Zone From Connection'),
  (900022, '00000000-0000-4000-8000-00000000f003', 2, 'Other');
insert into public.campaigns (id, workspace_id, bison_campaign_id)
overriding system value values (910021, 900021, 1), (910022, 900022, 2);

select throws_ok($$select * from public.workspace_insight_facts(900021, null, 0)$$,
  '22023', 'period_days must be between 1 and 90, got 0', 'period_days below 1');
select throws_ok($$select * from public.workspace_insight_facts(900021, null, 91)$$,
  '22023', 'period_days must be between 1 and 90, got 91', 'period_days above 90');
select throws_ok($$select * from public.workspace_insight_facts(900021, null, null)$$,
  '22023', 'period_days must be between 1 and 90, got null', 'period_days null');
select throws_ok($$select * from public.workspace_insight_facts(null, null, 14)$$,
  '22023', 'give a workspace_id or a campaign_id', 'no scope');
select throws_ok($$select * from public.workspace_insight_facts(900021, 910022, 14)$$,
  '22023', 'campaign 910022 does not belong to workspace 900021',
  'a campaign of another workspace');

select is(
  (select numbers from public.workspace_insight_facts(900021) where fact_id = 'period')
    - 'workspace_id' - 'workspace_name' - 'campaign_id' - 'campaign_name' - 'scope'
    - 'baseline_days',
  jsonb_build_object(
    'period_days', 14,
    'start', (now() at time zone 'Pacific/Kiritimati')::date - 13,
    'last_day', (now() at time zone 'Pacific/Kiritimati')::date,
    'end_exclusive', (now() at time zone 'Pacific/Kiritimati')::date + 1,
    'today', (now() at time zone 'Pacific/Kiritimati')::date,
    'includes_today', true,
    'previous_start', (now() at time zone 'Pacific/Kiritimati')::date - 27,
    'baseline_start', (now() at time zone 'Pacific/Kiritimati')::date - 103,
    'timezone', 'Pacific/Kiritimati'),
  'by default: the 14 local days ending with today (today included), in the connection''s zone');

select is(
  (select array_agg(fact_id) from public.workspace_insight_facts(900021)),
  array['period', 'sends', 'replies', 'interested', 'bounces', 'unsubscribes', 'reply_rate',
        'interested_rate', 'bounce_rate'],
  'a workspace without data still has its volumes and rates (all zero)');
select is(
  (select numbers from public.workspace_insight_facts(900021) where fact_id = 'reply_rate'),
  '{"current_pct": null, "previous_pct": null, "baseline_90d_pct": null,
    "baseline_90d_sends": 0, "sends": 0, "typical_low_pct": 1.0, "typical_high_pct": 5.0,
    "versus_typical": null, "compared_with": null, "change_pct": null, "trend": "neutral",
    "trend_threshold_pct": 5}'::jsonb,
  'rates on zero volume are null, never a division by zero, and trend nowhere');

select * from finish();
rollback;
