-- Daily mailbox snapshots belong to their connection: deleting the connection (a purge) takes
-- them with it, as the cascade through its mailboxes did; another connection's stay.
begin;
select plan(2);

select connection_id as gone, workspace_id as gone_ws from tests.create_polled_workspace('gone')
\gset
select connection_id as kept, workspace_id as kept_ws from tests.create_polled_workspace('kept')
\gset
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status)
values (:'gone', 1, :gone_ws, 'connected'), (:'kept', 1, :kept_ws, 'connected');
select private.snapshot_sender_emails(id, (now() at time zone 'UTC')::date - 1)
from public.bison_connections where id in (:'gone', :'kept');
select is((select count(*)::int from public.sender_email_daily_snapshots
           where connection_id in (:'gone', :'kept')), 2, 'setup: one snapshot each');

delete from public.bison_connections where id = :'gone';
select results_eq(
  format($$select connection_id from public.sender_email_daily_snapshots
           where connection_id in (%L, %L)$$, :'gone', :'kept'),
  format($$values (%L::uuid)$$, :'kept'), 'the deleted connection''s snapshots went with it');

select * from finish();
rollback;
