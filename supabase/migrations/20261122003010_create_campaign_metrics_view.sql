-- Each campaign's lifetime and trailing-7-day counts and rates, for dashboards and for insights.
-- Security invoker, so RLS on campaigns and campaign_daily_metrics decides which rows a caller
-- sees. Rates are percentages of emails sent, null (never an error) when nothing was sent.
-- The trailing 7 days are the 7 local days ending today in the workspace's reporting time zone:
-- [today - 6, today + 1), today included.
create view public.campaign_metrics
with (security_invoker = true)
as
select
  c.id as campaign_id,
  c.workspace_id,
  c.bison_campaign_id,
  c.name,
  totals.first_day,
  totals.last_day,
  coalesce(totals.emails_sent, 0) as emails_sent,
  coalesce(totals.replies, 0) as replies,
  coalesce(totals.interested, 0) as interested,
  coalesce(totals.bounces, 0) as bounces,
  coalesce(totals.unsubscribes, 0) as unsubscribes,
  private.percent_of(totals.replies, totals.emails_sent) as reply_rate_pct,
  private.percent_of(totals.interested, totals.emails_sent) as interested_rate_pct,
  private.percent_of(totals.bounces, totals.emails_sent) as bounce_rate_pct,
  private.percent_of(totals.unsubscribes, totals.emails_sent) as unsubscribe_rate_pct,
  coalesce(totals.emails_sent_7d, 0) as emails_sent_7d,
  coalesce(totals.replies_7d, 0) as replies_7d,
  coalesce(totals.interested_7d, 0) as interested_7d,
  coalesce(totals.bounces_7d, 0) as bounces_7d,
  coalesce(totals.unsubscribes_7d, 0) as unsubscribes_7d,
  private.percent_of(totals.replies_7d, totals.emails_sent_7d) as reply_rate_7d_pct,
  private.percent_of(totals.interested_7d, totals.emails_sent_7d) as interested_rate_7d_pct,
  private.percent_of(totals.bounces_7d, totals.emails_sent_7d) as bounce_rate_7d_pct,
  private.percent_of(totals.unsubscribes_7d, totals.emails_sent_7d) as unsubscribe_rate_7d_pct
from public.campaigns c
cross join lateral (
  select (now() at time zone private.visible_workspace_timezone(c.workspace_id))::date as today
) local
left join lateral (
  select
    min(m.day) as first_day,
    max(m.day) as last_day,
    sum(m.emails_sent) as emails_sent,
    sum(m.replies) as replies,
    sum(m.interested) as interested,
    sum(m.bounces) as bounces,
    sum(m.unsubscribes) as unsubscribes,
    sum(m.emails_sent) filter (where m.day >= local.today - 6 and m.day < local.today + 1)
      as emails_sent_7d,
    sum(m.replies) filter (where m.day >= local.today - 6 and m.day < local.today + 1)
      as replies_7d,
    sum(m.interested) filter (where m.day >= local.today - 6 and m.day < local.today + 1)
      as interested_7d,
    sum(m.bounces) filter (where m.day >= local.today - 6 and m.day < local.today + 1)
      as bounces_7d,
    sum(m.unsubscribes) filter (where m.day >= local.today - 6 and m.day < local.today + 1)
      as unsubscribes_7d
  from public.campaign_daily_metrics m
  where m.campaign_id = c.id
) totals on true;

comment on view public.campaign_metrics is
  'Per campaign: lifetime and trailing-7-day (7 local days ending today, workspace time zone) '
  'emails sent, replies, interested, bounces and unsubscribes, and their rates as percentages '
  'of emails sent (null when nothing was sent). Security invoker: members see their '
  'workspaces'' campaigns.';

revoke all on public.campaign_metrics from anon, authenticated;
grant select on public.campaign_metrics to authenticated, service_role;
