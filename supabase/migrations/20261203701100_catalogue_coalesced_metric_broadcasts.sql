-- The catalogue of Realtime broadcasts says when metrics_updated is sent now that it is coalesced
-- (migration coalesce_metric_broadcasts) and names its second sender, the flush; and that a
-- sync's progress goes at most once a second per workspace, as the poller sends it.
update private.realtime_broadcasts
set sent_when =
      'when one of the workspace''s day rows changes (counted webhook events, backfills, the '
      'interest reconciliation): at once when the topic sent nothing within broadcast_interval '
      '(1 s), else as soon as that interval has passed, carrying the row as it is then; at most '
      'one message per topic per interval, and the last change of a burst is always sent',
    sent_by = array['private.broadcast_workspace_metrics()',
                    'private.flush_coalesced_broadcasts()']
where topic = 'workspace:<workspace_id>:metrics' and event = 'metrics_updated';

update private.realtime_broadcasts
set sent_when = 'while mailboxes are fetched from Email Bison: after the first page, then at '
                'most once a second, and after the last page a slice fetches'
where topic = 'workspace:<workspace_id>:sync' and event = 'sync_progress';
