-- public.workspace_insight_facts on a workspace seeded with known numbers: every fact checked
-- against values computed by hand. Workspace 900001 reports in America/Chicago; the period is the
-- 7 local days [2026-11-08, 2026-11-15), the previous one [2026-11-01, 2026-11-08) and the
-- baseline the 90 days [2026-08-10, 2026-11-08). Workspace 900002 holds data that must not leak.
begin;
select plan(32);

insert into public.bison_connections (id, name, base_url, timezone)
values ('00000000-0000-4000-8000-00000000f001', 'facts-test', 'https://send.example.test', 'UTC');
insert into public.workspaces (id, connection_id, bison_workspace_id, name, timezone)
overriding system value values
  (900001, '00000000-0000-4000-8000-00000000f001', 1, 'Facts Co', 'America/Chicago'),
  (900002, '00000000-0000-4000-8000-00000000f001', 2, 'Other Co', null);
insert into public.campaigns (id, workspace_id, bison_campaign_id, name)
overriding system value values
  (910001, 900001, 1, 'Alpha'),
  (910002, 900001, 2, 'Bravo'),
  (910003, 900001, 3, 'Charlie (too small)'),
  (910004, 900002, 4, 'Other workspace');

insert into public.workspace_daily_metrics
  (workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes) values
  (900001, '2026-08-09', 5000, 500, 50, 50, 5),  -- before the baseline: ignored
  (900001, '2026-08-10', 1200,  30,  7, 10, 1),  -- first baseline day
  (900001, '2026-11-07',  800,  10,  3, 20, 0),  -- last day of the previous period
  (900001, '2026-11-08',  400,   8,  2,  4, 1),  -- first day of the period (a Sunday)
  (900001, '2026-11-10',  600,  16,  4,  6, 2),  -- a Tuesday
  (900001, '2026-11-15',  999,  99,  9,  9, 9),  -- period_end itself: excluded
  (900002, '2026-11-10', 7777,  77,  7,  7, 7);  -- another workspace

insert into public.campaign_daily_metrics
  (campaign_id, workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes) values
  (910001, 900001, '2026-11-02', 100,  1, 0,  1, 0),
  (910001, 900001, '2026-11-09', 200,  4, 2,  3, 1),  -- a Monday
  (910001, 900001, '2026-11-10', 300,  6, 2,  2, 0),  -- a Tuesday
  (910002, 900001, '2026-11-10', 400,  4, 0, 12, 0),
  (910003, 900001, '2026-11-09',  50,  2, 2,  0, 0),
  (910004, 900002, '2026-11-09', 1000, 60, 50, 0, 0);

insert into public.replies
  (connection_id, workspace_id, bison_reply_id, campaign_id, received_at, subject, text_body,
   automated) values
  ('00000000-0000-4000-8000-00000000f001', 900001, 1, 910001, '2026-11-09 09:15 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900001, 2, 910001, '2026-11-09 09:45 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900001, 3, 910001, '2026-11-10 14:05 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900001, 4, 910001, '2026-11-09 09:30 America/Chicago', 's', 't', true),
  ('00000000-0000-4000-8000-00000000f001', 900001, 5, null,   '2026-11-10 10:00 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900001, 6, 910001, '2026-11-07 23:30 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900001, 7, 910001, '2026-11-14 23:30 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900001, 8, 910002, '2026-11-12 11:00 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900002, 9, 910004, '2026-11-10 09:00 America/Chicago', 's', 't', false),
  ('00000000-0000-4000-8000-00000000f001', 900001, 10, 910001, '2026-11-15 00:30 America/Chicago', 's', 't', false);

-- provider is what classification stored (private.classify_mailbox); mailbox 8 failed, which is
-- in the disconnected group, and mailbox 9 has a status nobody defined.
insert into public.sender_emails
  (connection_id, bison_sender_email_id, workspace_id, status, connection_type, provider,
   emails_sent, unique_replies, replied) values
  ('00000000-0000-4000-8000-00000000f001', 1, 900001, 'connected', 'google_workspace_oauth', 'Google', 1000, 30, 40),
  ('00000000-0000-4000-8000-00000000f001', 2, 900001, 'connected', 'google_workspace_oauth', 'Google', 300, 1, 1),
  ('00000000-0000-4000-8000-00000000f001', 3, 900001, 'disconnected', 'microsoft_oauth', 'Microsoft', 100, 0, 0),
  ('00000000-0000-4000-8000-00000000f001', 4, 900001, 'removed', 'microsoft_oauth', 'Microsoft', 5000, 0, 0),
  ('00000000-0000-4000-8000-00000000f001', 5, 900001, 'connected', null, null, null, null, null),
  ('00000000-0000-4000-8000-00000000f001', 6, 900002, 'connected', 'microsoft_oauth', 'Microsoft', 10000, 0, 0),
  ('00000000-0000-4000-8000-00000000f001', 7, 900001, 'connected', 'Inbox', 'Google', 250, 1, 1),
  ('00000000-0000-4000-8000-00000000f001', 8, 900001, 'failed', 'microsoft_oauth', 'Microsoft', 0, 0, 0),
  ('00000000-0000-4000-8000-00000000f001', 9, 900001, 'paused', 'microsoft_oauth', 'Microsoft', 0, 0, 0);

create temp table ws_facts on commit drop as
select f.fact_id, f.kind, f.numbers, f.n
from public.workspace_insight_facts(900001, null, 7, '2026-11-15') with ordinality
  as f(fact_id, kind, numbers, n);
create temp table campaign_facts on commit drop as
select f.fact_id, f.kind, f.numbers, f.n
from public.workspace_insight_facts(null, 910001, 7, '2026-11-15') with ordinality
  as f(fact_id, kind, numbers, n);
create temp table bravo_facts on commit drop as
select f.fact_id, f.kind, f.numbers
from public.workspace_insight_facts(900001, 910002, 7, '2026-11-15') f;

-- Workspace scope -----------------------------------------------------------------------------
select is(
  (select array_agg(fact_id order by n) from ws_facts),
  array['period', 'sends', 'replies', 'interested', 'bounces', 'unsubscribes', 'reply_rate',
        'interested_rate', 'bounce_rate', 'best_campaign', 'worst_campaign', 'reply_days',
        'reply_hours', 'provider_mix', 'mailbox_health'],
  'a workspace with metrics, campaigns, replies and mailboxes has every fact, in order');

select is((select numbers - 'today' from ws_facts where fact_id = 'period'), '{
  "scope": "workspace", "workspace_id": 900001, "workspace_name": "Facts Co",
  "campaign_id": null, "campaign_name": null, "period_days": 7,
  "start": "2026-11-08", "last_day": "2026-11-14", "end_exclusive": "2026-11-15",
  "includes_today": false, "previous_start": "2026-11-01",
  "baseline_start": "2026-08-10", "baseline_days": 90, "timezone": "America/Chicago"}'::jsonb,
  'period: local days in the workspace time zone, half-open, with its bounds stated');

select is((select numbers from ws_facts where fact_id = 'sends'),
  '{"current": 1000, "previous": 800, "change": 200, "change_pct": 25.00, "trend": "up",
    "trend_threshold_pct": 5}'::jsonb,
  'sends: 400 + 600 against 800 (period_end''s own day and other workspaces excluded), up by '
  'more than insight_trend_threshold_pct');
select is((select numbers from ws_facts where fact_id = 'replies'),
  '{"current": 24, "previous": 10, "change": 14, "change_pct": 140.00, "trend": "up", "trend_threshold_pct": 5}'::jsonb,
  'replies');
select is((select numbers from ws_facts where fact_id = 'interested'),
  '{"current": 6, "previous": 3, "change": 3, "change_pct": 100.00, "trend": "up", "trend_threshold_pct": 5}'::jsonb,
  'interested');
select is((select numbers from ws_facts where fact_id = 'bounces'),
  '{"current": 10, "previous": 20, "change": -10, "change_pct": -50.00, "trend": "down", "trend_threshold_pct": 5}'::jsonb,
  'bounces: down');
select is((select numbers from ws_facts where fact_id = 'unsubscribes'),
  '{"current": 3, "previous": 0, "change": 3, "change_pct": null, "trend": "up", "trend_threshold_pct": 5}'::jsonb,
  'unsubscribes: no change_pct against a previous period of zero, up from nothing');

select is((select numbers from ws_facts where fact_id = 'reply_rate'), '{
  "current_pct": 2.40, "previous_pct": 1.25, "baseline_90d_pct": 2.00,
  "baseline_90d_sends": 2000, "sends": 1000, "typical_low_pct": 1.0, "typical_high_pct": 5.0,
  "versus_typical": "within", "compared_with": "previous", "change_pct": 92.00, "trend": "up",
  "trend_threshold_pct": 5}'::jsonb,
  'reply_rate: 24/1000, 10/800, baseline (30+10)/(1200+800); 2.40 is 92 % above 1.25');
select is((select numbers from ws_facts where fact_id = 'interested_rate'), '{
  "current_pct": 0.60, "previous_pct": 0.38, "baseline_90d_pct": 0.50,
  "baseline_90d_sends": 2000, "sends": 1000, "typical_low_pct": 0.1, "typical_high_pct": 1.0,
  "versus_typical": "within", "compared_with": "previous", "change_pct": 57.89, "trend": "up",
  "trend_threshold_pct": 5}'::jsonb,
  'interested_rate: 6/1000, 3/800 rounded, baseline 10/2000');
select is((select numbers from ws_facts where fact_id = 'bounce_rate'), '{
  "current_pct": 1.00, "previous_pct": 2.50, "baseline_90d_pct": 1.50,
  "baseline_90d_sends": 2000, "sends": 1000, "typical_low_pct": 0.0, "typical_high_pct": 2.0,
  "versus_typical": "within", "compared_with": "previous", "change_pct": -60.00, "trend": "down",
  "trend_threshold_pct": 5}'::jsonb,
  'bounce_rate: 10/1000, 20/800, baseline 30/2000; down');

select is((select numbers from ws_facts where fact_id = 'best_campaign'), '{
  "campaign_id": 910001, "name": "Alpha", "sends": 500, "replies": 10, "interested": 4,
  "interested_rate_pct": 0.80, "reply_rate_pct": 2.00, "eligible_campaigns": 2,
  "min_sends": 100}'::jsonb,
  'best campaign by interested rate; Charlie (50 sends) is below the minimum volume');
select is((select numbers from ws_facts where fact_id = 'worst_campaign'), '{
  "campaign_id": 910002, "name": "Bravo", "sends": 400, "replies": 4, "interested": 0,
  "interested_rate_pct": 0.00, "reply_rate_pct": 1.00, "eligible_campaigns": 2,
  "min_sends": 100}'::jsonb,
  'worst campaign by interested rate; the other workspace''s campaign is not considered');

select is((select numbers from ws_facts where fact_id = 'reply_days'), '{"days": [
  {"weekday": "Tuesday", "isodow": 2, "replies": 16, "sends": 600, "reply_rate_pct": 2.67},
  {"weekday": "Sunday", "isodow": 7, "replies": 8, "sends": 400, "reply_rate_pct": 2.00}],
  "total_replies": 24}'::jsonb,
  'reply_days: weekdays of the period by replies');
select is((select numbers from ws_facts where fact_id = 'reply_hours'), '{"hours": [
  {"hour": 9, "replies": 2}, {"hour": 11, "replies": 1}, {"hour": 14, "replies": 1},
  {"hour": 23, "replies": 1}], "total_replies": 5}'::jsonb,
  'reply_hours: local hours; auto-replies, untracked replies and replies outside the local '
  'period (though inside it in UTC) left out');

select is((select numbers from ws_facts where fact_id = 'provider_mix'), '{"window": "lifetime",
  "providers": [
    {"provider": "Google", "mailboxes": 3, "emails_sent": 1550, "unique_replies": 32, "reply_rate_pct": 2.06},
    {"provider": "Microsoft", "mailboxes": 3, "emails_sent": 100, "unique_replies": 0, "reply_rate_pct": 0.00},
    {"provider": "Unknown", "mailboxes": 1, "emails_sent": 0, "unique_replies": 0, "reply_rate_pct": null}]}'::jsonb,
  'provider_mix: by the stored (classified) provider, unique replies over emails sent; removed '
  'mailboxes left out');
select is((select numbers from ws_facts where fact_id = 'mailbox_health'), '{"window": "lifetime",
  "mailboxes": 7, "connected": 4, "disconnected": 2, "unknown_status": 1, "burnt": 1,
  "burnt_min_emails_sent": 200, "burnt_below_reply_rate_pct": 0.4}'::jsonb,
  'mailbox_health: status groups (failed is disconnected, paused unknown); 1/300 is burnt, 1/250 '
  '(exactly 0.4 %) is not, 0/100 has too few sends');

select is((select count(*)::int from ws_facts where kind not in
  ('period', 'volume', 'rate', 'campaign_rank', 'timing', 'mailboxes')), 0, 'known kinds only');

-- Campaign scope ------------------------------------------------------------------------------
select is((select numbers from campaign_facts where fact_id = 'period') - 'start'
    - 'end_exclusive' - 'previous_start' - 'baseline_start' - 'baseline_days' - 'timezone'
    - 'period_days' - 'last_day' - 'today' - 'includes_today', '{"scope": "campaign", "workspace_id": 900001,
  "workspace_name": "Facts Co", "campaign_id": 910001, "campaign_name": "Alpha"}'::jsonb,
  'a campaign scope finds its workspace');
select is((select numbers from campaign_facts where fact_id = 'sends'),
  '{"current": 500, "previous": 100, "change": 400, "change_pct": 400.00, "trend": "up",
    "trend_threshold_pct": 5}'::jsonb,
  'campaign sends from its own day rows');
select is((select numbers from campaign_facts where fact_id = 'replies'),
  '{"current": 10, "previous": 1, "change": 9, "change_pct": 900.00, "trend": "up", "trend_threshold_pct": 5}'::jsonb,
  'campaign replies');
select is((select numbers from campaign_facts where fact_id = 'interested'),
  '{"current": 4, "previous": 0, "change": 4, "change_pct": null, "trend": "up", "trend_threshold_pct": 5}'::jsonb,
  'campaign interested');
select is((select numbers from campaign_facts where fact_id = 'bounces'),
  '{"current": 5, "previous": 1, "change": 4, "change_pct": 400.00, "trend": "up", "trend_threshold_pct": 5}'::jsonb,
  'campaign bounces');
select is((select numbers from campaign_facts where fact_id = 'unsubscribes'),
  '{"current": 1, "previous": 0, "change": 1, "change_pct": null, "trend": "up", "trend_threshold_pct": 5}'::jsonb,
  'campaign unsubscribes');
select is((select numbers from campaign_facts where fact_id = 'reply_rate'), '{
  "current_pct": 2.00, "previous_pct": 1.00, "baseline_90d_pct": 2.00,
  "baseline_90d_sends": 2000, "sends": 500, "typical_low_pct": 1.0, "typical_high_pct": 5.0,
  "versus_typical": "within", "compared_with": "previous", "change_pct": 100.00, "trend": "up",
  "trend_threshold_pct": 5}'::jsonb,
  'a campaign''s rate is compared with its workspace''s 90-day baseline');
select is((select numbers from campaign_facts where fact_id = 'interested_rate') - 'typical_low_pct'
    - 'typical_high_pct' - 'sends' - 'baseline_90d_sends', '{
  "current_pct": 0.80, "previous_pct": 0.00, "baseline_90d_pct": 0.50,
  "versus_typical": "within", "compared_with": "previous", "change_pct": null, "trend": "up",
  "trend_threshold_pct": 5}'::jsonb, 'campaign interested_rate: up from nothing');
select is((select numbers from campaign_facts where fact_id = 'reply_days'), '{"days": [
  {"weekday": "Tuesday", "isodow": 2, "replies": 6, "sends": 300, "reply_rate_pct": 2.00},
  {"weekday": "Monday", "isodow": 1, "replies": 4, "sends": 200, "reply_rate_pct": 2.00}],
  "total_replies": 10}'::jsonb, 'campaign reply_days from its own day rows');
select is((select numbers from campaign_facts where fact_id = 'reply_hours'), '{"hours": [
  {"hour": 9, "replies": 2}, {"hour": 14, "replies": 1}, {"hour": 23, "replies": 1}],
  "total_replies": 4}'::jsonb, 'campaign reply_hours: only that campaign''s replies');
select is((select numbers from campaign_facts where fact_id = 'best_campaign'),
  (select numbers from ws_facts where fact_id = 'best_campaign'),
  'a campaign scope still shows the workspace''s best campaign for comparison');
select is((select count(*)::int from campaign_facts), 15, 'the campaign scope has every fact');

-- versus_typical at and beyond the edges of the typical ranges (campaign Bravo) ----------------
select is((select numbers ->> 'versus_typical' from bravo_facts where fact_id = 'reply_rate'),
  'within', '1.00 % replies is within 1-5 % (edges included)');
select is((select numbers ->> 'versus_typical' from bravo_facts where fact_id = 'interested_rate'),
  'below', '0.00 % interested is below 0.1-1 %');
select is((select numbers ->> 'versus_typical' from bravo_facts where fact_id = 'bounce_rate'),
  'above', '3.00 % bounces is above 0-2 %');

select * from finish();
rollback;
