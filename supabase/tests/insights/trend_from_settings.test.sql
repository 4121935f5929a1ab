-- An insight number's trend is defined once (private.insight_trend) with its threshold in
-- settings (insight_trend_threshold_pct), and every volume and rate fact carries change_pct,
-- trend and the threshold, so the rules and Claude read the same trend.
begin;
select plan(10);

select is(private.insight_trend(105, 100, 5), 'neutral', 'exactly the threshold is no trend');
select is(private.insight_trend(105.1, 100, 5), 'up', 'more than the threshold is up');
select is(private.insight_trend(94, 100, 5), 'down', 'less than minus the threshold is down');
select is(private.insight_trend(3, 0, 5), 'up', 'growing from nothing is up');
select is(private.insight_trend(0, 0, 5), 'neutral', 'nothing then nothing is neutral');
select is(private.insight_trend(null, 10, 5), 'neutral', 'an unknown number has no trend');
select is(private.insight_trend(-2, -4, 5), 'up', 'measured against the size of the earlier value');

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000f0a1', 'trend-test', 'https://send.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id, name)
overriding system value values (900101, '00000000-0000-4000-8000-00000000f0a1', 1, 'Trend Co');
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies) values
  (900101, '2026-11-07', 1000, 20),  -- the previous period
  (900101, '2026-11-14', 1100, 21);  -- the period: sends +10 %, reply rate 2.00 -> 1.91 (-4.5 %)

select is(
  (select jsonb_object_agg(fact_id, numbers -> 'trend')
   from public.workspace_insight_facts(900101, null, 7, '2026-11-15')
   where fact_id in ('sends', 'reply_rate')),
  '{"sends": "up", "reply_rate": "neutral"}'::jsonb,
  'with the 5 % setting, sends went up and the reply rate stayed level');

update private.settings set value = '12' where key = 'insight_trend_threshold_pct';
select is(
  (select jsonb_object_agg(fact_id, jsonb_build_array(numbers -> 'trend',
                                                      numbers -> 'trend_threshold_pct'))
   from public.workspace_insight_facts(900101, null, 7, '2026-11-15')
   where fact_id in ('sends', 'reply_rate')),
  '{"sends": ["neutral", 12], "reply_rate": ["neutral", 12]}'::jsonb,
  'the facts follow the setting, and say which threshold they used');

update private.settings set value = '"five"' where key = 'insight_trend_threshold_pct';
select throws_ok($$select * from public.workspace_insight_facts(900101, null, 7, '2026-11-15')$$,
  '55000', 'setting insight_trend_threshold_pct must be a percentage of at least 0',
  'an invalid threshold is refused, not guessed');

select * from finish();
rollback;
