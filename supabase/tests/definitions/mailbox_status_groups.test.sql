-- One definition of what a mailbox status means (private.mailbox_status_group), and the
-- disconnect alert stamp that follows it: a mailbox that fails or is "not connected" needs the
-- same human as one that disconnected.
begin;
select plan(9);

select results_eq(
  $$select s, private.mailbox_status_group(s) from unnest(array['connected', 'Connected',
      ' CONNECTED ', 'disconnected', 'Not connected', 'Failed', 'removed', 'paused', null]) s$$,
  $$values ('connected', 'connected'), ('Connected', 'connected'), (' CONNECTED ', 'connected'),
           ('disconnected', 'disconnected'), ('Not connected', 'disconnected'),
           ('Failed', 'disconnected'), ('removed', 'removed'), ('paused', 'unknown'),
           (null, 'unknown')$$,
  'REST and webhook spellings map to four groups; anything else is unknown');

insert into public.bison_connections (name, base_url) values ('groups', 'https://g.example.test')
returning id as conn \gset
insert into public.sender_emails (connection_id, bison_sender_email_id, status)
values (:'conn', 1, 'connected'), (:'conn', 2, 'connected'), (:'conn', 3, 'failed');

select is((select disconnect_recorded_at is not null from public.sender_emails
           where connection_id = :'conn' and bison_sender_email_id = 3), true,
  'a mailbox created failed is recorded as disconnected');
update public.sender_emails set status = 'not connected'
where connection_id = :'conn' and bison_sender_email_id = 1;
select is((select disconnect_recorded_at is not null from public.sender_emails
           where connection_id = :'conn' and bison_sender_email_id = 1), true,
  '"not connected" is a disconnection too (it used to be ignored by the alerts)');
update public.sender_emails set disconnect_recorded_at = null
where connection_id = :'conn' and bison_sender_email_id = 1;
update public.sender_emails set status = 'failed'
where connection_id = :'conn' and bison_sender_email_id = 1;
select is((select disconnect_recorded_at from public.sender_emails
           where connection_id = :'conn' and bison_sender_email_id = 1), null,
  'moving within the disconnected group is not a new disconnection');
update public.sender_emails set status = 'paused'
where connection_id = :'conn' and bison_sender_email_id = 2;
select is((select disconnect_recorded_at from public.sender_emails
           where connection_id = :'conn' and bison_sender_email_id = 2), null,
  'an unknown status is not a disconnection');

select is(
  (select count(*)::int from public.sender_emails
   where connection_id = :'conn' and status_group is distinct from private.mailbox_status_group(status)),
  0, 'the stored status_group column is the definition''s, for every mailbox');

-- The health check and the insight facts count the same mailboxes as disconnected.
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Groups') returning id as ws \gset
update public.sender_emails set workspace_id = :ws where connection_id = :'conn';
select is(
  (select value from private.evaluate_health_checks(now())
   where check_name = 'mailbox_disconnections' and workspace_id = :ws),
  66.67, 'health: 2 of 3 mailboxes (not connected, failed) disconnected, as a percentage');
select is(
  (select (numbers ->> 'disconnected')::int from public.workspace_insight_facts(:ws)
   where fact_id = 'mailbox_health'), 2, 'insight facts: the same 2');
select is(
  (select (numbers ->> 'unknown_status')::int from public.workspace_insight_facts(:ws)
   where fact_id = 'mailbox_health'), 1, 'and the paused one is of unknown status');

select * from finish();
rollback;
