-- public.campaign_metrics: lifetime and trailing-7-day (7 local days ending today) counts and
-- rates per campaign; zero volume gives null rates, never an error.
begin;
select plan(6);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000f004', 'campaign-metrics', 'https://send.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id, timezone)
overriding system value values
  (900031, '00000000-0000-4000-8000-00000000f004', 1, 'Asia/Tokyo');
insert into public.campaigns (id, workspace_id, bison_campaign_id, name)
overriding system value values
  (910031, 900031, 1, 'No rows at all'),
  (910032, 900031, 2, 'Replies but nothing sent'),
  (910033, 900031, 3, 'Busy');

insert into public.campaign_daily_metrics
  (campaign_id, workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes)
values
  (910032, 900031, (now() at time zone 'Asia/Tokyo')::date, 0, 2, 1, 0, 0),
  -- today, the first of the 7 days, the day before them, and a day long ago (local dates)
  (910033, 900031, (now() at time zone 'Asia/Tokyo')::date, 100, 4, 1, 2, 0),
  (910033, 900031, (now() at time zone 'Asia/Tokyo')::date - 6, 300, 5, 2, 1, 1),
  (910033, 900031, (now() at time zone 'Asia/Tokyo')::date - 7, 600, 3, 0, 30, 2),
  (910033, 900031, '2025-01-01', 1000, 40, 10, 7, 7);

select is(
  (select to_jsonb(m) - 'campaign_id' - 'workspace_id' - 'bison_campaign_id' - 'name'
   from public.campaign_metrics m where campaign_id = 910031),
  '{"first_day": null, "last_day": null, "emails_sent": 0, "replies": 0, "interested": 0,
    "bounces": 0, "unsubscribes": 0, "reply_rate_pct": null, "interested_rate_pct": null,
    "bounce_rate_pct": null, "unsubscribe_rate_pct": null, "emails_sent_7d": 0,
    "replies_7d": 0, "interested_7d": 0, "bounces_7d": 0, "unsubscribes_7d": 0,
    "reply_rate_7d_pct": null, "interested_rate_7d_pct": null, "bounce_rate_7d_pct": null,
    "unsubscribe_rate_7d_pct": null}'::jsonb,
  'a campaign without any day row: zero counts, null rates');

select is(
  (select jsonb_build_object('replies', replies, 'reply_rate_pct', reply_rate_pct,
     'replies_7d', replies_7d, 'reply_rate_7d_pct', reply_rate_7d_pct,
     'interested_rate_pct', interested_rate_pct)
   from public.campaign_metrics where campaign_id = 910032),
  '{"replies": 2, "reply_rate_pct": null, "replies_7d": 2, "reply_rate_7d_pct": null,
    "interested_rate_pct": null}'::jsonb,
  'replies with zero emails sent: counted, but the rates are null');

select is(
  (select jsonb_build_object('emails_sent', emails_sent, 'replies', replies,
     'interested', interested, 'bounces', bounces, 'unsubscribes', unsubscribes,
     'reply_rate_pct', reply_rate_pct, 'interested_rate_pct', interested_rate_pct,
     'bounce_rate_pct', bounce_rate_pct, 'unsubscribe_rate_pct', unsubscribe_rate_pct,
     'first_day', first_day)
   from public.campaign_metrics where campaign_id = 910033),
  '{"emails_sent": 2000, "replies": 52, "interested": 13, "bounces": 40, "unsubscribes": 10,
    "reply_rate_pct": 2.60, "interested_rate_pct": 0.65, "bounce_rate_pct": 2.00,
    "unsubscribe_rate_pct": 0.50, "first_day": "2025-01-01"}'::jsonb,
  'lifetime: every day row');

select is(
  (select jsonb_build_object('emails_sent_7d', emails_sent_7d, 'replies_7d', replies_7d,
     'interested_7d', interested_7d, 'bounces_7d', bounces_7d,
     'unsubscribes_7d', unsubscribes_7d, 'reply_rate_7d_pct', reply_rate_7d_pct,
     'interested_rate_7d_pct', interested_rate_7d_pct, 'bounce_rate_7d_pct', bounce_rate_7d_pct,
     'unsubscribe_rate_7d_pct', unsubscribe_rate_7d_pct)
   from public.campaign_metrics where campaign_id = 910033),
  '{"emails_sent_7d": 400, "replies_7d": 9, "interested_7d": 3, "bounces_7d": 3,
    "unsubscribes_7d": 1, "reply_rate_7d_pct": 2.25, "interested_rate_7d_pct": 0.75,
    "bounce_rate_7d_pct": 0.75, "unsubscribe_rate_7d_pct": 0.25}'::jsonb,
  'trailing 7 days: today and the 6 local days before it, not the 7th');

select is(
  (select c.relname::text from pg_catalog.pg_class c
   where c.oid = 'public.campaign_metrics'::regclass
     and 'security_invoker=true' = any (c.reloptions)),
  'campaign_metrics', 'the view is security invoker, so RLS applies to its readers');

select is((select count(*)::int from public.campaign_metrics where workspace_id = 900031), 3,
  'one row per campaign');

select * from finish();
rollback;
