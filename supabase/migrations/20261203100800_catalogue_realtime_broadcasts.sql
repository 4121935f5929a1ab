-- Every Realtime broadcast the project sends, described where the senders live: topic, event, who
-- may receive it, when it is sent, the payload's fields, and who sends it. docs/data-model.md is
-- generated from this table, and pgTAP keeps it honest: every function that calls realtime.send
-- must be listed here as a sender, and the payloads the senders produce must have exactly the
-- fields described (supabase/tests/realtime_catalogue/, and the poll tests for the sync topic).
create table private.realtime_broadcasts (
  topic text not null check (topic ~ '^[a-z0-9_:<>]+$'),
  event text not null check (event ~ '^[a-z0-9_]+$'),
  is_private boolean not null default true,
  receivers text not null,
  sent_when text not null,
  payload_relation regclass,
  payload_fields jsonb check (
    jsonb_typeof(payload_fields) = 'array' and jsonb_array_length(payload_fields) > 0
    and not jsonb_path_exists(payload_fields,
      '$[*] ? (!(exists(@.name)) || !(exists(@.type)) || !(exists(@.description)))')),
  sent_by text[] not null check (cardinality(sent_by) > 0),
  primary key (topic, event),
  check ((payload_relation is null) <> (payload_fields is null))
);
comment on table private.realtime_broadcasts is
  'The catalogue of Realtime broadcasts: topic (placeholders in angle brackets, e.g. '
  'workspace:<workspace_id>:metrics), event, whether the channel must be joined as private, who '
  'may receive it (the policies on realtime.messages), when it is sent, its payload (a row of '
  'payload_relation, every column, or the fields of payload_fields: [{name, type, description}]) '
  'and sent_by: the functions (regprocedure) or repository files that send it. Realtime adds the '
  'message id to a payload as id unless the payload has an id of its own. Documentation read by '
  'scripts/generate.ts; a sender without a row here fails the tests.';
alter table private.realtime_broadcasts enable row level security;
revoke all on private.realtime_broadcasts from public, anon, authenticated, service_role;

-- payload_fields: [{name, type (as the client receives it, JSON), description}].
insert into private.realtime_broadcasts
  (topic, event, receivers, sent_when, payload_relation, payload_fields, sent_by)
values
  ('workspace:<workspace_id>:metrics', 'metrics_updated',
   'members of the workspace and agency admins',
   'each time one of the workspace''s day rows changes (every counted webhook event, backfills, '
   'the interest reconciliation): the new row of that local day',
   'public.workspace_daily_metrics', null,
   array['private.broadcast_workspace_metrics()']),
  ('workspace:<workspace_id>:activity', 'activity',
   'members of the workspace and agency admins',
   'when a reply arrives (auto-replies excepted) or becomes interested, unless it happened more '
   'than activity_broadcast_max_age (1 day) before reaching the mirror: its row of the feed',
   'public.activity_feed', null,
   array['private.broadcast_workspace_activity()']),
  ('workspace:<workspace_id>:insights', 'insights_generated',
   'members of the workspace and agency admins',
   'when insights are stored for the workspace or one of its campaigns (scheduled, or asked for '
   'with POST /functions/v1/insights/generate)',
   null, $json$[
     {"name": "id", "type": "number", "description": "The insights row (public.insights.id)."},
     {"name": "workspace_id", "type": "number", "description": "The workspace."},
     {"name": "campaign_id", "type": "number | null",
      "description": "The campaign, for campaign insights; null for the workspace's."},
     {"name": "period_days", "type": "number",
      "description": "Length of the period the insights are about, in local days."},
     {"name": "period_start", "type": "string (date)",
      "description": "First local day of the period."},
     {"name": "period_end", "type": "string (date)",
      "description": "The local day after the period (excluded)."},
     {"name": "source", "type": "string", "description": "claude or rules."},
     {"name": "model", "type": "string | null",
      "description": "The Claude model, when source is claude."},
     {"name": "items", "type": "array",
      "description": "The insights: [{key, value, metric, trend, fact_ids}], as in public.insights.items."},
     {"name": "created_at", "type": "string (timestamptz)",
      "description": "When they were generated."}
   ]$json$,
   array['private.broadcast_insights()']),
  ('workspace:<workspace_id>:sync', 'sync_started',
   'members of the workspace and agency admins',
   'when a mailbox inventory sync of the workspace starts (every 5 minutes, or on demand)',
   null, $json$[
     {"name": "workspace_id", "type": "number", "description": "The workspace."},
     {"name": "sync_run_id", "type": "number",
      "description": "The run (public.sender_email_sync_runs.id)."}
   ]$json$,
   array['supabase/functions/poll-sender-emails/poller.ts',
         'supabase/functions/poll-sender-emails/store.ts']),
  ('workspace:<workspace_id>:sync', 'sync_progress',
   'members of the workspace and agency admins',
   'after each page of mailboxes fetched from Email Bison',
   null, $json$[
     {"name": "workspace_id", "type": "number", "description": "The workspace."},
     {"name": "sync_run_id", "type": "number", "description": "The run."},
     {"name": "done", "type": "number", "description": "Mailboxes fetched so far."},
     {"name": "total", "type": "number | null",
      "description": "Mailboxes Email Bison says there are (null when it does not say)."}
   ]$json$,
   array['supabase/functions/poll-sender-emails/poller.ts',
         'supabase/functions/poll-sender-emails/store.ts']),
  ('workspace:<workspace_id>:sync', 'sync_completed',
   'members of the workspace and agency admins',
   'when a sync has fetched every page and stored the inventory',
   null, $json$[
     {"name": "workspace_id", "type": "number", "description": "The workspace."},
     {"name": "sync_run_id", "type": "number", "description": "The run."},
     {"name": "mailboxes", "type": "number", "description": "Mailboxes fetched."},
     {"name": "upserted", "type": "number", "description": "Mailboxes written (new or changed)."},
     {"name": "removed", "type": "number",
      "description": "Mailboxes marked removed by this inventory."}
   ]$json$,
   array['supabase/functions/poll-sender-emails/poller.ts',
         'supabase/functions/poll-sender-emails/store.ts']),
  ('workspace:<workspace_id>:sync', 'sync_failed',
   'members of the workspace and agency admins',
   'when a sync stops on an error (nothing of a partial inventory is stored)',
   null, $json$[
     {"name": "workspace_id", "type": "number", "description": "The workspace."},
     {"name": "sync_run_id", "type": "number", "description": "The run."},
     {"name": "mailboxes", "type": "number", "description": "Mailboxes fetched before the error."},
     {"name": "upserted", "type": "number",
      "description": "Mailboxes written: 0, as a failed sync stores nothing."},
     {"name": "removed", "type": "number",
      "description": "Mailboxes marked removed: 0, as a failed sync stores nothing."},
     {"name": "error", "type": "string", "description": "What went wrong, in words."}
   ]$json$,
   array['supabase/functions/poll-sender-emails/poller.ts',
         'supabase/functions/poll-sender-emails/store.ts']),
  ('health', 'health_updated',
   'agency admins',
   'when a health evaluation (every minute) changed the status of at least one check; read '
   'public.system_health again (or listen to its postgres_changes)',
   null, $json$[
     {"name": "changed", "type": "number",
      "description": "Checks whose status changed in this evaluation."},
     {"name": "unhealthy", "type": "number", "description": "Checks now degraded or down."},
     {"name": "evaluated_at", "type": "string (timestamptz)",
      "description": "When the evaluation ran."}
   ]$json$,
   array['private.run_health_checks(timestamp with time zone)']);
