-- Each health run announces the mailboxes disconnected since the last announcement
-- (private.run_health_checks): without an index that is a pass over every mailbox, every minute
-- (50-60 ms of the run at ten times an agency, 171,360 mailboxes). The partial index holds only
-- the few not announced yet. Built under a SHARE lock: writes to sender_emails wait the second
-- or so it takes on a populated table.
create index sender_emails_unannounced_disconnects_idx on public.sender_emails (workspace_id)
where status_group = 'disconnected' and disconnect_recorded_at is not null
  and (disconnect_alerted_at is null or disconnect_alerted_at < disconnect_recorded_at);
comment on index public.sender_emails_unannounced_disconnects_idx is
  'Disconnected mailboxes whose disconnection is not announced in Slack yet '
  '(private.run_health_checks).';
