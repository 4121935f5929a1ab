-- Mailbox health as dashboards show it, live from the mailbox inventory: per workspace, and per
-- provider and reseller within it. Status groups, burnt and provider are the project's single
-- definitions (sender_emails.status_group, private.is_burnt_mailbox with private.burnt_rule, the
-- stored provider and reseller); the workspace totals are the sums of the provider rows, so the
-- two views can never disagree.
create view public.mailbox_health_by_provider
with (security_invoker = true)
as
select
  s.workspace_id,
  s.connection_id,
  s.provider,
  s.reseller,
  count(*) as mailboxes_total,
  count(*) filter (where s.status_group = 'connected') as connected,
  count(*) filter (where s.status_group = 'disconnected') as disconnected,
  count(*) filter (where s.status_group = 'unknown') as unknown_status,
  count(*) filter (
    where private.is_burnt_mailbox(s.emails_sent, s.unique_replies, b.min_emails_sent,
                                   b.below_reply_rate_pct)) as burnt,
  coalesce(sum(greatest(s.daily_limit, 0)) filter (where s.status_group = 'connected'), 0)
    as daily_capacity,
  coalesce(sum(s.emails_sent), 0)::bigint as emails_sent,
  coalesce(sum(s.unique_replies), 0)::bigint as unique_replies,
  private.percent_of(sum(s.unique_replies), sum(s.emails_sent)) as reply_rate_pct
from public.sender_emails s
cross join private.burnt_rule() b
where s.workspace_id is not null
  and s.status_group <> 'removed'
group by s.workspace_id, s.connection_id, s.provider, s.reseller;

comment on view public.mailbox_health_by_provider is
  'A workspace''s mailboxes (sender emails) grouped by provider and reseller, one row per '
  'combination that has mailboxes; mailboxes removed from Email Bison are left out. Counters are '
  'Email Bison''s lifetime counters as last synced (every 5 minutes and with each webhook). '
  'Members see their workspaces, agency admins all. For trends per day use '
  'public.provider_performance_history.';
comment on column public.mailbox_health_by_provider.workspace_id is
  'The workspace (public.workspaces.id).';
comment on column public.mailbox_health_by_provider.connection_id is
  'The Email Bison instance (public.bison_connections.id) the mailboxes belong to.';
comment on column public.mailbox_health_by_provider.provider is
  'Google, Microsoft, or another provider named by a tag mapping; null when unclassified (see '
  'public.sender_emails.classification_problem).';
comment on column public.mailbox_health_by_provider.reseller is
  'Who sold the mailboxes, from a tag mapping; null when unknown.';
comment on column public.mailbox_health_by_provider.mailboxes_total is
  'Mailboxes not removed from Email Bison, whatever their status.';
comment on column public.mailbox_health_by_provider.connected is 'Mailboxes that can send.';
comment on column public.mailbox_health_by_provider.disconnected is
  'Mailboxes that cannot send until someone reconnects them (Bison''s Disconnected, Not '
  'connected or Failed).';
comment on column public.mailbox_health_by_provider.unknown_status is
  'Mailboxes with no status, or one the mirror does not know; counted only in mailboxes_total.';
comment on column public.mailbox_health_by_provider.burnt is
  'Burnt mailboxes: lifetime unique replies under burnt_below_reply_rate_pct (0.4 %) of emails '
  'sent, once they have sent burnt_min_emails_sent (200). See docs/metrics.md.';
comment on column public.mailbox_health_by_provider.daily_capacity is
  'Emails a day the connected mailboxes may send: the sum of their daily limits.';
comment on column public.mailbox_health_by_provider.emails_sent is
  'Emails the mailboxes have sent in their lifetime (Email Bison''s counter).';
comment on column public.mailbox_health_by_provider.unique_replies is
  'Contacts who replied to the mailboxes, lifetime (Email Bison''s unique replies counter).';
comment on column public.mailbox_health_by_provider.reply_rate_pct is
  'unique_replies as a percentage of emails_sent (2 decimals); null when nothing was sent.';

create view public.workspace_mailbox_health
with (security_invoker = true)
as
select
  w.id as workspace_id,
  coalesce(sum(p.mailboxes_total), 0)::bigint as mailboxes_total,
  coalesce(sum(p.connected), 0)::bigint as connected,
  coalesce(sum(p.disconnected), 0)::bigint as disconnected,
  coalesce(sum(p.unknown_status), 0)::bigint as unknown_status,
  coalesce(sum(p.burnt), 0)::bigint as burnt,
  coalesce(sum(p.daily_capacity), 0)::bigint as daily_capacity,
  private.percent_of(sum(p.disconnected), sum(p.mailboxes_total)) as disconnected_pct
from public.workspaces w
left join public.mailbox_health_by_provider p on p.workspace_id = w.id
group by w.id;

comment on view public.workspace_mailbox_health is
  'One row per workspace you may read (members: their workspaces; agency admins: all), zeros for '
  'a workspace without mailboxes: the totals of public.mailbox_health_by_provider. Mailboxes '
  'removed from Email Bison are left out.';
comment on column public.workspace_mailbox_health.workspace_id is
  'The workspace (public.workspaces.id).';
comment on column public.workspace_mailbox_health.mailboxes_total is
  'Mailboxes not removed from Email Bison, whatever their status.';
comment on column public.workspace_mailbox_health.connected is 'Mailboxes that can send.';
comment on column public.workspace_mailbox_health.disconnected is
  'Mailboxes that cannot send until someone reconnects them (Disconnected, Not connected, '
  'Failed).';
comment on column public.workspace_mailbox_health.unknown_status is
  'Mailboxes with no status, or one the mirror does not know.';
comment on column public.workspace_mailbox_health.burnt is
  'Burnt mailboxes (see public.mailbox_health_by_provider.burnt).';
comment on column public.workspace_mailbox_health.daily_capacity is
  'Emails a day the connected mailboxes may send: the sum of their daily limits.';
comment on column public.workspace_mailbox_health.disconnected_pct is
  'disconnected as a percentage of mailboxes_total (2 decimals); null without mailboxes. The '
  'mailbox_disconnections health check compares the same number with its threshold.';

revoke all on public.mailbox_health_by_provider, public.workspace_mailbox_health
  from anon, authenticated, service_role;
grant select on public.mailbox_health_by_provider, public.workspace_mailbox_health
  to authenticated, service_role;
