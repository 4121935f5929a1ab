-- The calculation refuses what it cannot compute honestly: a day that has not ended in the
-- connection's zone, an unknown connection, and a snapshot earlier than one already taken (running
-- totals are built in day order).
begin;
select plan(7);

insert into public.bison_connections (name, base_url, timezone)
values ('pp-bad', 'https://pp.example.test', 'Pacific/Auckland') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client') returning id as ws \gset
insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
  daily_limit, provider, emails_sent, unique_replies, bounced)
values (:'conn', 1, :ws, 'connected', 30, 'Google', 100, 1, 0);

-- 2026-06-01 20:00 UTC is already 08:00 on 2 June in Auckland (NZST, +12).
select throws_ok(
  format($$select private.calculate_provider_performance(%L, '2026-06-02', '2026-06-01 20:00+00')$$,
         :'conn'),
  '22023', null, 'Auckland''s today cannot be computed yet');
select throws_ok(
  format($$select private.calculate_provider_performance(%L, '2026-06-09', '2026-06-01 20:00+00')$$,
         :'conn'),
  '22023', null, 'nor a day in the future');
select throws_ok(
  format($$select private.calculate_provider_performance(%L, null, '2026-06-01 20:00+00')$$,
         :'conn'),
  '22023', null, 'a day is required');
select lives_ok(
  format($$select private.calculate_provider_performance(%L, '2026-06-01', '2026-06-01 20:00+00')$$,
         :'conn'),
  'Auckland''s 1 June is over at 20:00 UTC on 1 June (where it is still that day in UTC)');
select throws_ok(
  $$select private.calculate_provider_performance(gen_random_uuid(), '2026-06-01')$$,
  'P0002', null, 'an unknown connection is refused');
select throws_ok(
  format($$select private.snapshot_sender_emails(%L, '2026-05-20')$$, :'conn'),
  '22023', null, 'a snapshot before an existing one is refused');
select is(
  (select count(*) from public.sender_email_daily_snapshots where connection_id = :'conn'),
  1::bigint, 'and nothing was added');

select * from finish();
rollback;
