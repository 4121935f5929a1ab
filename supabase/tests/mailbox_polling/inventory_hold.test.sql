-- A bad answer never empties the inventory (reproduction: {"data":[],"links":{"next":null},
-- "meta":{"total":0}} turned 40 live mailboxes into 0 and provider history recorded
-- mailboxes_total = 0 for good). A complete inventory removes only what two consecutive ones
-- lack; one lacking more than mailbox_removal_hold_share_pct (20 %) of the mailboxes is held and
-- alerted, and only a second, agreeing inventory removes them.
begin;
select plan(15);

select connection_id as conn, workspace_id as ws from tests.create_polled_workspace('hold') \gset

select tests.apply_inventory(:ws, tests.rest_mailboxes(40));
select is((select count(*)::int from public.sender_emails where workspace_id = :ws
           and status = 'connected'), 40, '40 live mailboxes');

-- The bad answer: a complete, empty inventory.
select * into temp bad_run from tests.apply_inventory(:ws, '[]', interval '5 minutes');
select results_eq($$select removed, missing, held from bad_run$$, $$values (0, 40, true)$$,
  'the empty inventory lacks all 40: held, nothing removed');
select is((select count(*)::int from public.sender_emails where workspace_id = :ws
           and status = 'connected'), 40, 'the 40 mailboxes are still live');
select is(
  (select status from private.evaluate_health_checks(now())
   where check_name = 'mailbox_sync' and workspace_id = :ws), 'degraded',
  'the hold shows in the mailbox_sync check');
select matches(
  (select message from private.evaluate_health_checks(now())
   where check_name = 'mailbox_sync' and workspace_id = :ws),
  'removals held: .* lacked 40 of 40 mailboxes', 'saying what was held');
select private.run_health_checks(now());
select is((select count(*)::int from private.health_alerts a
           where a.kind = 'problems' and a.message::text like '%removals held%'), 1,
  'and it is alerted');

-- A snapshot and provider performance taken during the hold count the live mailboxes.
select private.calculate_provider_performance(:'conn', current_date - 1, now());
select is((select sum(mailboxes_total)::int from public.provider_performance_history
           where connection_id = :'conn' and day = current_date - 1), 40,
  'provider history taken during the hold counts all 40 (it recorded 0)');

-- The next good inventory releases the hold: nothing was lost.
select * into temp good_run from tests.apply_inventory(:ws, tests.rest_mailboxes(40), interval '10 minutes');
select results_eq($$select removed, missing, held from good_run$$, $$values (0, 0, false)$$,
  'a good inventory next: nothing missing, nothing removed');
select is((select inventory_held_at from private.workspace_poll_state where workspace_id = :ws),
  null, 'the hold is released');
select is((select max(missing_inventories) from public.sender_emails where workspace_id = :ws),
  0, 'and no mailbox counts as missing');

-- Two bad answers in a row agree: the second removes.
select tests.apply_inventory(:ws, '[]', interval '15 minutes');
select * into temp agreeing_run from tests.apply_inventory(:ws, '[]', interval '20 minutes');
select results_eq($$select removed, held from agreeing_run$$, $$values (40, false)$$,
  'a second complete inventory agreeing with the held one removes them');
select is((select count(*)::int from public.sender_emails where workspace_id = :ws
           and removed_by = 'inventory'), 40, 'recorded as removed by the inventory');

-- A small disappearance (1 of 20) is not held, but still needs two inventories.
insert into public.workspaces (connection_id, bison_workspace_id, name)
values (:'conn', 2, 'Small Co') returning id as small \gset
select private.set_workspace_api_key(:small, 'api-key-9876543210');
select tests.apply_inventory(:small, tests.rest_mailboxes(20, 1001));
select * into temp first_miss from tests.apply_inventory(:small, tests.rest_mailboxes(19, 1001), interval '5 minutes');
select results_eq($$select removed, missing, held from first_miss$$, $$values (0, 1, false)$$,
  'one inventory lacking a mailbox removes nothing');
select * into temp second_miss from tests.apply_inventory(:small, tests.rest_mailboxes(19, 1001), interval '10 minutes');
select results_eq($$select removed, held from second_miss$$, $$values (1, false)$$,
  'the second consecutive one removes it');
select is((select bison_sender_email_id::int from public.sender_emails
           where workspace_id = :small and status = 'removed'), 1020, 'the missing one');

select * from finish();
rollback;
