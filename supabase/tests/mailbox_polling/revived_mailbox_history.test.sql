-- When two agreeing bad inventories did remove mailboxes, the next good inventory that lists
-- them again repairs what was recorded meanwhile: their daily snapshots and the provider
-- performance of those days (it used to keep mailboxes_total = 0 for good).
begin;
select plan(6);

select connection_id as conn, workspace_id as ws from tests.create_polled_workspace('revive') \gset

select tests.apply_inventory(:ws, tests.rest_mailboxes(10));
select tests.apply_inventory(:ws, '[]', interval '5 minutes');
select tests.apply_inventory(:ws, '[]', interval '10 minutes');
select is((select count(*)::int from public.sender_emails where workspace_id = :ws
           and status = 'removed'), 10, 'two agreeing empty inventories removed all 10');

-- That happened yesterday, and yesterday's provider performance recorded no mailbox.
update public.sender_emails set removed_at = now() - interval '1 day'
where workspace_id = :ws;
select private.calculate_provider_performance(:'conn', current_date - 1, now());
select is((select coalesce(sum(mailboxes_total), 0)::int from public.provider_performance_history
           where connection_id = :'conn' and day = current_date - 1), 0,
  'yesterday''s history counts no live mailbox');

-- Today's inventory lists them all again.
select * into temp revived from tests.apply_inventory(:ws, tests.rest_mailboxes(10),
                                                      interval '15 minutes');
select is((select count(*)::int from public.sender_emails where workspace_id = :ws
           and status = 'connected' and removed_at is null and removed_by is null), 10,
  'the mailboxes are live again');
select is((select count(*)::int from public.sender_email_daily_snapshots
           where connection_id = :'conn' and day = current_date - 1 and status = 'connected'), 10,
  'yesterday''s snapshots no longer record them as removed');
select is((select sum(mailboxes_total)::int from public.provider_performance_history
           where connection_id = :'conn' and day = current_date - 1), 10,
  'and yesterday''s provider performance is recomputed with them');
select is((select sum(emails_sent_day)::int from public.provider_performance_history
           where connection_id = :'conn' and day = current_date - 1), 0,
  'without inventing sends for the days they were missing');

select * from finish();
rollback;
