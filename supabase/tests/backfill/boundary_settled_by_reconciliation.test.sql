-- Once the boundary day is over, the reconciliation settles it with Bison's numbers for the whole
-- day; from then on it is a day of Bison's numbers like the earlier ones.
begin;
select plan(8);

insert into public.bison_connections (name, base_url, timezone)
values ('Settling agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 1, 'Client one') returning id as ws \gset

-- Backfilled yesterday (the boundary day), with events counted after it.
select private.record_backfill(:ws, current_date - 3, current_date - 1, jsonb_build_array(
  jsonb_build_object('day', current_date - 2, 'emails_sent', 100),
  jsonb_build_object('day', current_date - 1, 'emails_sent', 40, 'replies', 1)));
update public.workspace_daily_metrics set emails_sent = emails_sent + 25
where workspace_id = :ws and day = current_date - 1;

select is(private.backfill_boundary_to_settle(:ws), current_date - 1,
  'yesterday''s boundary day is over and waits to be settled');
select throws_ok(
  format('select private.settle_backfill_boundary(%s, %L)', :ws,
         jsonb_build_object('day', current_date - 2, 'emails_sent', 1)),
  '22023', null, 'counts of another day are refused');
select ok(private.settle_backfill_boundary(:ws,
  jsonb_build_object('day', current_date - 1, 'emails_sent', 63, 'replies', 2, 'interested', 1,
                     'bounces', 0, 'unsubscribes', 0, 'opens', 0)),
  'the boundary day is settled');
select results_eq(
  $$select emails_sent, replies, source from public.workspace_daily_metrics
    where day = current_date - 1$$,
  $$values (63, 2, 'bison_stats')$$, 'Bison''s numbers for the whole day replace the mix');
select is(private.backfill_boundary_to_settle(:ws), null, 'nothing is left to settle');
select ok(not private.settle_backfill_boundary(:ws,
  jsonb_build_object('day', current_date - 1, 'emails_sent', 1)), 'settling again changes nothing');
select is((select emails_sent from public.workspace_daily_metrics where day = current_date - 1),
  63, 'the settled count stays');

-- Today's backfill is not settled while today lasts.
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 2, 'Client two') returning id as ws2 \gset
select private.record_backfill(:ws2, current_date - 1, current_date,
  jsonb_build_array(jsonb_build_object('day', current_date, 'emails_sent', 5)));
select is(private.backfill_boundary_to_settle(:ws2), null,
  'a boundary day that is today is not settled yet');

select * from finish();
rollback;
