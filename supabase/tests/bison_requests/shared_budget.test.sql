-- A connection's request budget is one row shared by every process: claims take slots from a
-- token bucket that holds a second's worth of the connection's budget and refills at its rate,
-- atomically, a batch at a time. Only the database owner (the functions, the CLI) may claim.
begin;
select plan(11);

insert into public.bison_connections (id, name, base_url, requests_per_minute)
values ('00000000-0000-4000-8000-0000000000b1', 'budget-a', 'https://a.example.test', 600),
       ('00000000-0000-4000-8000-0000000000b2', 'budget-b', 'https://b.example.test', null);

select results_eq(
  $$select granted, retry_after_ms
    from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b1', 10)$$,
  $$values (10, 0)$$, 'a batch of 10 is granted from a full bucket (600 a minute: 10 a second)');
select is(
  (select granted from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b1', 10)),
  0, 'a second batch within the same second gets nothing: the second''s worth is spent');
select cmp_ok(
  (select retry_after_ms from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b1', 10)),
  '<=', 100, 'and is told when the next slot comes (one every 100 ms)');

-- Half a second later (the bucket's clock moved back), five slots have come back.
update private.bison_request_budgets set refilled_at = refilled_at - interval '500 milliseconds'
where connection_id = '00000000-0000-4000-8000-0000000000b1';
select is(
  (select granted from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b1', 10)),
  5, 'slots come back at the budget''s rate');
update private.bison_request_budgets set refilled_at = refilled_at - interval '1 hour'
where connection_id = '00000000-0000-4000-8000-0000000000b1';
select is(
  (select granted from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b1', 100)),
  10, 'an idle hour saves no more than a second''s worth');

select is(
  (select sum((select granted from private.claim_bison_requests(
                 '00000000-0000-4000-8000-0000000000b2', 10 + 0 * n)))::int
   from generate_series(1, 6) n),
  41, 'without a budget of its own, the setting (2,500 a minute): 41 slots at once');

update private.settings set value = '120' where key = 'bison_requests_per_minute';
update private.bison_request_budgets set refilled_at = refilled_at - interval '1 hour'
where connection_id = '00000000-0000-4000-8000-0000000000b2';
select is(
  (select granted from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b2', 10)),
  2, 'the setting is read at every claim (120 a minute: 2 at once)');

select throws_ok(
  $$select * from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b1', 0)$$,
  '22023', null, 'a claim of no slot is refused');
select throws_ok(
  $$select * from private.claim_bison_requests('00000000-0000-4000-8000-00000000dead', 1)$$,
  'P0002', null, 'an unknown connection is refused');

select tests.authenticate_as_service_role();
select throws_ok(
  $$select * from private.claim_bison_requests('00000000-0000-4000-8000-0000000000b1', 1)$$,
  '42501', null, 'service_role cannot claim');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$select count(*) from private.bison_request_budgets$$, '42501', null,
  'anon cannot read the budgets');

select * from finish();
rollback;
