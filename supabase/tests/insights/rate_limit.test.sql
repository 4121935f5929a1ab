-- private.claim_insight_generation: one generation per workspace per minute. The first claim
-- passes, the next one in the same minute gets the seconds to wait, a claim a minute old lets the
-- next through; other workspaces are unaffected; no API role may claim or read the claims.
begin;
select plan(11);

insert into public.bison_connections (id, name, base_url)
values ('00000000-0000-4000-8000-00000000f008', 'insights-rate-limit', 'https://send.example.test');
insert into public.workspaces (id, connection_id, bison_workspace_id)
overriding system value values
  (900071, '00000000-0000-4000-8000-00000000f008', 1),
  (900072, '00000000-0000-4000-8000-00000000f008', 2);

select is(private.claim_insight_generation(900071), 0, 'the first claim passes');
select is(private.claim_insight_generation(900071), 60,
  'a second claim in the same instant must wait 60 s');
select is(private.claim_insight_generation(900072), 0, 'another workspace is not limited');

update private.insight_generation_claims set claimed_at = now() - interval '45.2 seconds'
where workspace_id = 900071;
select is(private.claim_insight_generation(900071), 15,
  'after 45.2 s: wait the remaining 14.8 s, rounded up');

update private.insight_generation_claims set claimed_at = now() - interval '60 seconds'
where workspace_id = 900071;
select is(private.claim_insight_generation(900071), 0, 'a claim 60 s old lets the next through');
select is((select claimed_at from private.insight_generation_claims where workspace_id = 900071),
  now(), 'which becomes the new claim');

select throws_ok($$select private.claim_insight_generation(null)$$, '22023', null,
  'a workspace is required');

select tests.authenticate_as_anon();
select throws_ok($$select private.claim_insight_generation(900071)$$, '42501', null,
  'anon cannot claim');
select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('rate-limit-member@example.test'));
select throws_ok($$select private.claim_insight_generation(900071)$$, '42501', null,
  'authenticated cannot claim');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select throws_ok($$select private.claim_insight_generation(900071)$$, '42501', null,
  'service_role cannot claim either: only the function''s database owner does');
select throws_ok($$select * from private.insight_generation_claims$$, '42501', null,
  'service_role cannot read the claims');

select * from finish();
rollback;
