-- docs/data-model.md and the generated TypeScript types are read by frontend developers, and are
-- generated from the database's comments: every column of the tables and views a frontend may
-- read gets one, saying what it holds in the frontend's terms (units, time zones, nulls).
-- supabase/tests/read_model/api_is_documented.test.sql keeps it so.

comment on column public.agency_admins.user_id is 'The admin''s Auth user (auth.users.id).';
comment on column public.agency_admins.created_at is 'When they became an agency admin.';

comment on column public.bison_connections.id is 'Identifies the Email Bison instance.';
comment on column public.bison_connections.name is 'The name the operator gave it (unique).';
comment on column public.bison_connections.base_url is
  'The instance''s address, e.g. https://send.acme.example.';
comment on column public.bison_connections.timezone is
  'The agency''s reporting time zone (IANA name) for its workspaces without one of their own.';
comment on column public.bison_connections.created_at is 'When it was connected.';
comment on column public.bison_connections.updated_at is 'When its settings last changed.';

comment on column public.bison_daily_stats.workspace_id is 'The workspace.';
comment on column public.bison_daily_stats.day is
  'The workspace''s local day (its reporting time zone).';
comment on column public.bison_daily_stats.emails_sent is
  'Emails sent that day as Email Bison counts them.';
comment on column public.bison_daily_stats.replies is
  'Email Bison''s unique replies per contact that day (not every reply, unlike the mirror''s '
  'replies).';
comment on column public.bison_daily_stats.interested is 'Leads marked interested that day.';
comment on column public.bison_daily_stats.bounces is 'Bounces that day.';
comment on column public.bison_daily_stats.unsubscribes is 'Unsubscribes that day.';
comment on column public.bison_daily_stats.fetched_at is 'When these numbers were fetched.';

comment on column public.campaign_daily_metrics.campaign_id is 'The campaign (public.campaigns.id).';
comment on column public.campaign_daily_metrics.day is
  'The local day (the workspace''s reporting time zone).';
comment on column public.campaign_daily_metrics.workspace_id is 'The campaign''s workspace.';
comment on column public.campaign_daily_metrics.emails_sent is 'Campaign emails sent that day.';
comment on column public.campaign_daily_metrics.first_contacts is
  'Contacts emailed for the first time that day.';
comment on column public.campaign_daily_metrics.opens is
  'Tracked opens that day (only with open tracking on).';
comment on column public.campaign_daily_metrics.replies is 'Replies received that day.';
comment on column public.campaign_daily_metrics.interested is
  'Replies that became interested that day.';
comment on column public.campaign_daily_metrics.bounces is 'Emails that bounced that day.';
comment on column public.campaign_daily_metrics.unsubscribes is 'Leads who unsubscribed that day.';
comment on column public.campaign_daily_metrics.manual_emails_sent is
  'One-off emails sent from the inbox or the API that day.';
comment on column public.campaign_daily_metrics.untracked_replies is
  'Inbound mail not tied to a campaign email that day.';
comment on column public.campaign_daily_metrics.updated_at is 'When the row last changed.';

comment on column public.campaign_metrics.campaign_id is 'The campaign (public.campaigns.id).';
comment on column public.campaign_metrics.workspace_id is 'The campaign''s workspace.';
comment on column public.campaign_metrics.bison_campaign_id is 'The campaign''s id in Email Bison.';
comment on column public.campaign_metrics.name is 'The campaign''s name in Email Bison.';
comment on column public.campaign_metrics.first_day is
  'The first local day with numbers for the campaign; null before any.';
comment on column public.campaign_metrics.last_day is
  'The latest local day with numbers for the campaign; null before any.';
comment on column public.campaign_metrics.emails_sent is 'Emails sent, lifetime.';
comment on column public.campaign_metrics.replies is 'Replies received, lifetime.';
comment on column public.campaign_metrics.interested is 'Replies that became interested, lifetime.';
comment on column public.campaign_metrics.bounces is 'Bounces, lifetime.';
comment on column public.campaign_metrics.unsubscribes is 'Unsubscribes, lifetime.';
comment on column public.campaign_metrics.reply_rate_pct is
  'replies as a percentage of emails_sent (2 decimals); null when nothing was sent.';
comment on column public.campaign_metrics.interested_rate_pct is
  'interested as a percentage of emails_sent; null when nothing was sent.';
comment on column public.campaign_metrics.bounce_rate_pct is
  'bounces as a percentage of emails_sent; null when nothing was sent.';
comment on column public.campaign_metrics.unsubscribe_rate_pct is
  'unsubscribes as a percentage of emails_sent; null when nothing was sent.';
comment on column public.campaign_metrics.emails_sent_7d is
  'Emails sent in the last 7 local days, today included.';
comment on column public.campaign_metrics.replies_7d is 'Replies in the last 7 local days.';
comment on column public.campaign_metrics.interested_7d is
  'Replies that became interested in the last 7 local days.';
comment on column public.campaign_metrics.bounces_7d is 'Bounces in the last 7 local days.';
comment on column public.campaign_metrics.unsubscribes_7d is
  'Unsubscribes in the last 7 local days.';
comment on column public.campaign_metrics.reply_rate_7d_pct is
  'replies_7d as a percentage of emails_sent_7d; null when nothing was sent.';
comment on column public.campaign_metrics.interested_rate_7d_pct is
  'interested_7d as a percentage of emails_sent_7d; null when nothing was sent.';
comment on column public.campaign_metrics.bounce_rate_7d_pct is
  'bounces_7d as a percentage of emails_sent_7d; null when nothing was sent.';
comment on column public.campaign_metrics.unsubscribe_rate_7d_pct is
  'unsubscribes_7d as a percentage of emails_sent_7d; null when nothing was sent.';

comment on column public.campaigns.id is 'Identifies the campaign in the mirror.';
comment on column public.campaigns.workspace_id is 'The campaign''s workspace.';
comment on column public.campaigns.bison_campaign_id is 'The campaign''s id in Email Bison.';
comment on column public.campaigns.name is
  'The campaign''s name in Email Bison (follows renames); null until an event names it.';
comment on column public.campaigns.created_at is 'When the mirror first saw the campaign.';
comment on column public.campaigns.updated_at is 'When its name last changed.';

comment on column public.insights.id is 'Identifies the generation.';
comment on column public.insights.workspace_id is 'The workspace the insights are about.';
comment on column public.insights.campaign_id is
  'The campaign they are about; null for insights about the whole workspace.';
comment on column public.insights.period_days is
  'Length of the period in local days (period_end - period_start).';
comment on column public.insights.period_start is 'First local day of the period.';
comment on column public.insights.period_end is 'The local day after the period (excluded).';
comment on column public.insights.source is
  'claude (written by the model named in model) or rules (deterministic rules, no API key).';
comment on column public.insights.model is 'The Claude model, when source is claude; else null.';
comment on column public.insights.items is
  'The insights, 1 to 5: [{key, value, metric, trend (up, down, neutral), fact_ids}]; fact_ids '
  'name the facts each one cites.';
comment on column public.insights.facts is
  'The numbers the insights are grounded in: [{id, kind, numbers}], as '
  'public.workspace_insight_facts returned them.';
comment on column public.insights.requested_by is
  'The user who asked for them; null for scheduled generation.';
comment on column public.insights.created_at is 'When they were generated.';

comment on column public.leads.id is 'Identifies the lead in the mirror.';
comment on column public.leads.workspace_id is 'The lead''s workspace.';
comment on column public.leads.bison_lead_id is 'The lead''s id in Email Bison.';
comment on column public.leads.email is 'The lead''s email address, lower case.';
comment on column public.leads.first_name is 'First name, as Email Bison has it.';
comment on column public.leads.last_name is 'Last name, as Email Bison has it.';
comment on column public.leads.company is 'Company, as Email Bison has it.';
comment on column public.leads.title is 'Job title, as Email Bison has it.';
comment on column public.leads.status is
  'Where the lead is: contacted, replied, interested, bounced or unsubscribed (only moves '
  'forward).';
comment on column public.leads.first_contacted_at is 'When the lead was first emailed.';
comment on column public.leads.first_replied_at is 'When the lead first replied.';
comment on column public.leads.interested_at is 'When the lead first became interested.';
comment on column public.leads.bounced_at is 'When an email to the lead bounced.';
comment on column public.leads.unsubscribed_at is 'When the lead unsubscribed.';
comment on column public.leads.created_at is 'When the mirror first saw the lead.';
comment on column public.leads.updated_at is 'When the row last changed.';

comment on column public.mailbox_tag_mappings.id is 'Identifies the mapping.';
comment on column public.mailbox_tag_mappings.tag_name is
  'An Email Bison tag name (matched exactly, ignoring case).';
comment on column public.mailbox_tag_mappings.provider is
  'The provider mailboxes with this tag belong to; null when the tag says nothing about it.';
comment on column public.mailbox_tag_mappings.reseller is
  'The reseller mailboxes with this tag were bought from; null when the tag says nothing about it.';
comment on column public.mailbox_tag_mappings.created_at is 'When the mapping was added.';

comment on column public.provider_performance_history.id is 'Identifies the row.';
comment on column public.provider_performance_history.connection_id is
  'The Email Bison instance (public.bison_connections.id).';
comment on column public.provider_performance_history.day is
  'The local day in the connection''s time zone.';
comment on column public.provider_performance_history.provider is
  'Google, Microsoft, or another provider named by a tag mapping; null when unclassified.';
comment on column public.provider_performance_history.reseller is
  'Who sold the mailboxes; null when unknown.';
comment on column public.provider_performance_history.mailboxes_total is
  'Mailboxes not removed at the end of the day.';
comment on column public.provider_performance_history.mailboxes_connected is
  'Mailboxes that could send at the end of the day.';
comment on column public.provider_performance_history.emails_sent_day is 'Emails sent that day.';
comment on column public.provider_performance_history.emails_sent_30d is
  'Emails sent in the 30 days ending with day.';
comment on column public.provider_performance_history.unique_replies_day is
  'Unique replies (Email Bison''s counter) that day.';
comment on column public.provider_performance_history.unique_replies_7d is
  'Unique replies in the 7 days ending with day.';
comment on column public.provider_performance_history.unique_replies_30d is
  'Unique replies in the 30 days ending with day.';
comment on column public.provider_performance_history.bounces_day is 'Bounces that day.';
comment on column public.provider_performance_history.bounces_7d is
  'Bounces in the 7 days ending with day.';
comment on column public.provider_performance_history.bounces_30d is
  'Bounces in the 30 days ending with day.';
comment on column public.provider_performance_history.reply_rate_7d_pct is
  'unique_replies_7d as a percentage of emails_sent_7d; null when nothing was sent.';
comment on column public.provider_performance_history.reply_rate_30d_pct is
  'unique_replies_30d as a percentage of emails_sent_30d; null when nothing was sent.';
comment on column public.provider_performance_history.computed_at is
  'When the day was computed (just after it ended, or recomputed since).';

comment on column public.replies.id is 'Identifies the reply in the mirror.';
comment on column public.replies.connection_id is 'The Email Bison instance.';
comment on column public.replies.workspace_id is 'The reply''s workspace.';
comment on column public.replies.bison_reply_id is 'The reply''s id in Email Bison.';
comment on column public.replies.bison_uuid is 'The reply''s uuid in Email Bison.';
comment on column public.replies.lead_id is 'The lead who replied (public.leads.id), when known.';
comment on column public.replies.campaign_id is
  'The campaign replied to; null for mail not tied to a campaign.';
comment on column public.replies.sender_email_id is
  'The mailbox that received it (public.sender_emails.id), when known.';
comment on column public.replies.received_at is 'When the reply was received.';
comment on column public.replies.subject is 'The subject line (personal data).';
comment on column public.replies.text_body is 'The text of the reply (personal data).';
comment on column public.replies.from_email is 'The address it came from, lower case.';
comment on column public.replies.interested is
  'Whether Email Bison marks the reply interested (the reconciliation follows un-marking too).';
comment on column public.replies.automated is
  'An automatic reply (out of office and the like), as Email Bison says.';
comment on column public.replies.created_at is 'When the mirror first stored the reply.';
comment on column public.replies.updated_at is 'When the row last changed.';

comment on column public.sender_email_daily_snapshots.sender_email_id is
  'The mailbox (public.sender_emails.id).';
comment on column public.sender_email_daily_snapshots.day is
  'The local day in the connection''s time zone.';
comment on column public.sender_email_daily_snapshots.connection_id is 'The Email Bison instance.';
comment on column public.sender_email_daily_snapshots.workspace_id is 'The mailbox''s workspace.';
comment on column public.sender_email_daily_snapshots.status is
  'The mailbox''s status at the end of the day, as Email Bison put it (lower case).';
comment on column public.sender_email_daily_snapshots.daily_limit is
  'Its daily sending limit at the end of the day.';
comment on column public.sender_email_daily_snapshots.provider is 'Its provider at the time.';
comment on column public.sender_email_daily_snapshots.reseller is 'Its reseller at the time.';
comment on column public.sender_email_daily_snapshots.emails_sent is
  'Lifetime emails sent, as Email Bison counted them at the end of the day.';
comment on column public.sender_email_daily_snapshots.unique_replies is
  'Lifetime unique replies at the end of the day.';
comment on column public.sender_email_daily_snapshots.bounced is
  'Lifetime bounces at the end of the day.';
comment on column public.sender_email_daily_snapshots.taken_at is 'When the snapshot was taken.';

comment on column public.sender_email_sync_runs.id is 'Identifies the sync run.';
comment on column public.sender_email_sync_runs.workspace_id is 'The workspace synced.';
comment on column public.sender_email_sync_runs.poll_run_id is
  'The poll (one call of poll-sender-emails) the run was part of.';
comment on column public.sender_email_sync_runs.started_at is 'When the run started.';
comment on column public.sender_email_sync_runs.finished_at is
  'When it ended; null while it runs (or when it died: a later run takes over).';
comment on column public.sender_email_sync_runs.pages is 'Pages fetched from Email Bison.';
comment on column public.sender_email_sync_runs.mailboxes_seen is 'Mailboxes fetched.';
comment on column public.sender_email_sync_runs.upserted is 'Mailboxes written (new or changed).';
comment on column public.sender_email_sync_runs.removed is 'Mailboxes this run marked removed.';
comment on column public.sender_email_sync_runs.complete is
  'Every page was fetched and the count matched Email Bison''s total.';
comment on column public.sender_email_sync_runs.error is
  'What went wrong, in words; null for a successful run.';

comment on column public.sender_emails.id is 'Identifies the mailbox in the mirror.';
comment on column public.sender_emails.connection_id is 'The Email Bison instance.';
comment on column public.sender_emails.bison_sender_email_id is
  'The mailbox''s (sender email''s) id in Email Bison.';
comment on column public.sender_emails.workspace_id is
  'The mailbox''s workspace; null until one is known.';
comment on column public.sender_emails.email is 'The mailbox''s address.';
comment on column public.sender_emails.name is 'The sender name it sends as.';
comment on column public.sender_emails.status is
  'Email Bison''s status, lower case (connected, disconnected, not connected, failed), or '
  'removed; group it with status_group.';
comment on column public.sender_emails.connection_type is
  'How Email Bison connects to it (e.g. google_workspace_oauth, microsoft_oauth, smtp).';
comment on column public.sender_emails.daily_limit is 'Emails a day it may send.';
comment on column public.sender_emails.warmup_enabled is 'Whether Email Bison warms it up.';
comment on column public.sender_emails.emails_sent is 'Lifetime emails sent (Email Bison''s counter).';
comment on column public.sender_emails.replied is 'Lifetime replies received.';
comment on column public.sender_emails.opened is 'Lifetime tracked opens.';
comment on column public.sender_emails.unsubscribed is 'Lifetime unsubscribes.';
comment on column public.sender_emails.bounced is 'Lifetime bounces.';
comment on column public.sender_emails.unique_replies is
  'Lifetime contacts who replied (what reply rates and burnt use).';
comment on column public.sender_emails.unique_opens is 'Lifetime contacts who opened.';
comment on column public.sender_emails.total_leads_contacted is 'Lifetime contacts emailed.';
comment on column public.sender_emails.interested is 'Lifetime interested leads.';
comment on column public.sender_emails.bison_updated_at is
  'When Email Bison last changed the mailbox, as it reported (the newest report wins).';
comment on column public.sender_emails.connected_at is
  'When an event last said it was connected (added or reconnected).';
comment on column public.sender_emails.disconnected_at is
  'When an event last said it disconnected.';
comment on column public.sender_emails.disconnect_recorded_at is
  'When the mirror saw it enter the disconnected group (by event or inventory).';
comment on column public.sender_emails.disconnect_alerted_at is
  'When that disconnection was announced in Slack.';
comment on column public.sender_emails.removed_at is 'When it was removed; null while it exists.';
comment on column public.sender_emails.warmup_disabled_at is
  'When Email Bison switched its warmup off because of bounces.';
comment on column public.sender_emails.created_at is 'When the mirror first saw the mailbox.';
comment on column public.sender_emails.updated_at is 'When the row last changed.';
comment on column public.sender_emails.tags is 'Its Email Bison tags: [{id, name}].';
comment on column public.sender_emails.provider is
  'Google, Microsoft, or another provider named by a tag mapping; null when unclassified.';
comment on column public.sender_emails.reseller is
  'Who sold it, from a tag mapping; null when unknown.';
comment on column public.sender_emails.last_seen_at is
  'When a complete inventory last listed it.';

comment on column public.system_health.check_name is
  'The check (webhook_silence, mailbox_sync, metrics_drift, ...; see docs/health.md).';
comment on column public.system_health.scope is
  'What is checked: workspace:<id>, connection:<id>, provider:<connection id>:<provider>/'
  '<reseller>, job:<name> or global.';
comment on column public.system_health.workspace_id is 'The workspace checked, if any.';
comment on column public.system_health.connection_id is
  'The Email Bison instance the check is about, if any.';
comment on column public.system_health.status is 'healthy, degraded or down.';
comment on column public.system_health.value is
  'The measured number behind the status; its unit depends on the check (docs/metrics.md).';
comment on column public.system_health.message is
  'What the check found, in words (may quote names and errors from Email Bison).';
comment on column public.system_health.checked_at is 'When the check last ran.';
comment on column public.system_health.changed_at is 'Since when the status has been what it is.';

comment on column public.webhook_health.workspace_id is 'The workspace.';
comment on column public.webhook_health.connection_id is 'Its Email Bison instance.';
comment on column public.webhook_health.workspace_name is 'Its name in Email Bison.';
comment on column public.webhook_health.last_event_at is
  'When its latest webhook event arrived (within the 30 days raw events are kept).';
comment on column public.webhook_health.events_24h is 'Webhook events in the last 24 hours.';
comment on column public.webhook_health.failures_24h is
  'Of those, events that failed processing.';
comment on column public.webhook_health.unknown_types_24h is
  'Of those, events of a type the mirror does not know.';

comment on column public.workspace_daily_metrics.workspace_id is 'The workspace.';
comment on column public.workspace_daily_metrics.day is
  'The local day (the workspace''s reporting time zone).';
comment on column public.workspace_daily_metrics.emails_sent is 'Campaign emails sent that day.';
comment on column public.workspace_daily_metrics.first_contacts is
  'Contacts emailed for the first time that day.';
comment on column public.workspace_daily_metrics.opens is
  'Tracked opens that day (only with open tracking on).';
comment on column public.workspace_daily_metrics.replies is
  'Replies to campaign emails that day (auto-replies excluded by Email Bison).';
comment on column public.workspace_daily_metrics.interested is
  'Replies that became interested that day.';
comment on column public.workspace_daily_metrics.bounces is 'Emails that bounced that day.';
comment on column public.workspace_daily_metrics.unsubscribes is 'Leads who unsubscribed that day.';
comment on column public.workspace_daily_metrics.manual_emails_sent is
  'One-off emails sent from the inbox or the API that day.';
comment on column public.workspace_daily_metrics.untracked_replies is
  'Inbound mail not tied to a campaign email that day.';
comment on column public.workspace_daily_metrics.updated_at is 'When the row last changed.';

comment on column public.workspace_members.user_id is 'The member''s Auth user (auth.users.id).';
comment on column public.workspace_members.workspace_id is 'The workspace they may read.';
comment on column public.workspace_members.role is
  'member, admin or owner: a label for the client''s own use; every role reads the same.';
comment on column public.workspace_members.created_at is 'When they were added.';

comment on column public.workspace_month_to_date.workspace_id is 'The workspace.';
comment on column public.workspace_month_to_date.month_start is
  'The first day of the current local month.';
comment on column public.workspace_month_to_date.today is 'Today, in the workspace''s time zone.';
comment on column public.workspace_month_to_date.days_in_month is
  'How many days the current month has.';
comment on column public.workspace_month_to_date.elapsed_days is
  'Days of the month elapsed so far, with fractions (at least an hour).';
comment on column public.workspace_month_to_date.emails_sent is 'Emails sent this month so far.';
comment on column public.workspace_month_to_date.replies is 'Replies this month so far.';
comment on column public.workspace_month_to_date.interested is
  'Replies that became interested this month so far.';
comment on column public.workspace_month_to_date.bounces is 'Bounces this month so far.';
comment on column public.workspace_month_to_date.unsubscribes is 'Unsubscribes this month so far.';
comment on column public.workspace_month_to_date.days_from_bison_stats is
  'How many of the month''s days carry Email Bison''s own numbers (backfilled history).';
comment on column public.workspace_month_to_date.projected_emails_sent is
  'The month''s emails at the pace so far: emails_sent x days_in_month / elapsed_days.';

comment on column public.workspaces.id is 'Identifies the workspace in the mirror.';
comment on column public.workspaces.connection_id is 'Its Email Bison instance.';
comment on column public.workspaces.bison_workspace_id is 'The workspace''s id in Email Bison.';
comment on column public.workspaces.timezone is
  'Its own reporting time zone (IANA name); null: the connection''s.';
comment on column public.workspaces.needs_review is
  'Created automatically by an event nobody expected: an operator should accept or merge it.';
comment on column public.workspaces.created_at is 'When the mirror first knew the workspace.';
comment on column public.workspaces.updated_at is 'When the row last changed.';
