-- Pacing against a monthly target (private.pace, thresholds in private.settings) and the read
-- model's public.workspace_pacing: one row per visible workspace and metric with a target for its
-- running local month.
begin;
select plan(15);

-- The definition, on fixed numbers: target 40 over 20 sending days, 5 of them elapsed.
select results_eq(
  $$select * from private.pace(10, 40, 5, 20, 110, 95, 75)$$,
  $$values (10.00::numeric, 40::numeric, 25.00::numeric, 100.00::numeric, 'on_track'::text)$$,
  'expected so far is the target spread over the sending days; projected at the same pace');
select results_eq(
  $$select actual, (select pacing_status from private.pace(actual, 40, 5, 20, 110, 95, 75))
    from unnest(array[11, 10.99, 9.5, 9.4, 7.5, 7.4]) actual$$,
  $$values (11::numeric, 'ahead'::text), (10.99, 'on_track'), (9.5, 'on_track'), (9.4, 'behind'),
           (7.5, 'behind'), (7.4, 'at_risk')$$,
  'from 110 % of what was expected ahead, from 95 % on track, from 75 % behind, below at risk');
select results_eq(
  $$select expected_so_far, projected_month_end, pace_pct, pacing_status
    from private.pace(3, 40, 0, 20, 110, 95, 75)$$,
  $$values (0.00::numeric, null::numeric, null::numeric, 'on_track'::text)$$,
  'before the month''s first sending day nothing is expected and there is no pace yet');
select is((select projected_month_end from private.pace(1, 40, 0.01, 20, 110, 95, 75)),
  480::numeric, 'the pace counts at least an hour of sending');

-- The thresholds are settings, read and checked once per query by private.pacing_rule.
select results_eq($$select * from private.pacing_rule()$$, $$values (110::numeric, 95::numeric, 75::numeric)$$,
  'the default thresholds');
update private.settings set value = '80' where key = 'pacing_behind_from_pct';
select is((select behind_from_pct from private.pacing_rule()), 80::numeric, 'read from the settings');
update private.settings set value = '120' where key = 'pacing_on_track_from_pct';
select throws_ok($$select * from private.pacing_rule()$$, '55000', null,
  'thresholds out of order are refused');
update private.settings set value = '95' where key = 'pacing_on_track_from_pct';

-- The read model. Sending every day keeps the test independent of today's weekday.
insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000e401', 'Pacing agency', 'https://p.example.test', 'UTC');
insert into public.workspaces (id, connection_id, bison_workspace_id, name, sending_weekdays)
overriding system value values
  (920401, '00000000-0000-4000-8000-00000000e401', 1, 'Behind client', '{1,2,3,4,5,6,7}'),
  (920402, '00000000-0000-4000-8000-00000000e401', 2, 'Other client', '{1,2,3,4,5,6,7}'),
  (920403, '00000000-0000-4000-8000-00000000e401', 3, 'No target', '{1,2,3,4,5,6,7}');
insert into public.workspace_members (user_id, workspace_id)
values (tests.create_user('member@example.test'), 920401);
insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, interested)
values (920401, (now() at time zone 'UTC')::date, 1000, 2),
       (920402, (now() at time zone 'UTC')::date, 5, 0);
select private.set_workspace_target(920401, 'interested', 1000000, null, null);
select private.set_workspace_target(920401, 'emails_sent', 1, null, null);
select private.set_workspace_target(920401, 'replies', 10,
  ((now() at time zone 'UTC')::date - interval '1 month')::date, null);
select private.set_workspace_target(920402, 'emails_sent', 100, null, null);

select results_eq(
  $$select metric, actual_mtd, pacing_status from public.workspace_pacing
    where workspace_id = 920401 order by metric$$,
  $$values ('emails_sent'::text, 1000::bigint, 'ahead'::text),
           ('interested'::text, 2::bigint, 'at_risk'::text)$$,
  'a row per target of the running month (last month''s left out), with its status');
select results_eq(
  $$select p.expected_so_far, p.projected_month_end, p.of_target_pct, p.pace_pct,
           p.sending_days_elapsed, p.sending_days_total, p.month, p.today
    from public.workspace_pacing p where p.workspace_id = 920401 and p.metric = 'interested'$$,
  $$select pace.expected_so_far, pace.projected_month_end, pace.of_target_pct, pace.pace_pct,
           mtd.sending_days_elapsed, mtd.sending_days_total, mtd.month_start, mtd.today
    from public.workspace_month_to_date mtd
    cross join private.pace(2, 1000000, mtd.sending_days_elapsed, mtd.sending_days_total,
                            110, 95, 80) pace
    where mtd.workspace_id = 920401$$,
  'its numbers are private.pace over the month to date');
select is(
  (select actual_mtd from public.workspace_pacing where workspace_id = 920401 and metric = 'emails_sent'),
  (select emails_sent from public.workspace_month_to_date where workspace_id = 920401),
  'actual_mtd is the month to date of the read model');
select is_empty($$select * from public.workspace_pacing where workspace_id = 920403$$,
  'a workspace without a target has no pacing');

select tests.authenticate_as(tests.user_id('member@example.test'));
select results_eq($$select distinct workspace_id from public.workspace_pacing$$,
  $$values (920401::bigint)$$, 'a member sees only their workspace''s pacing');
select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('stranger@example.test'));
select is_empty($$select * from public.workspace_pacing$$, 'a user of no workspace sees none');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$select * from public.workspace_pacing$$, '42501', null,
  'anon cannot read pacing');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select is((select count(*) from public.workspace_pacing where workspace_id in (920401, 920402)),
  3::bigint, 'service_role sees every workspace''s pacing');
select tests.clear_authentication();

select * from finish();
rollback;
