-- A test delivery counts only with the nonce expected for a workspace and a token of that
-- workspace's connection, and marks its subscription verified for that token.
begin;
select plan(5);

insert into public.bison_connections (name, base_url)
values ('Testing agency', 'https://send.example.test'), ('Other agency', 'https://other.example.test');
select id as conn from public.bison_connections where name = 'Testing agency' \gset
select id as other from public.bison_connections where name = 'Other agency' \gset
insert into private.webhook_tokens (connection_id, token_sha256) values
  (:'conn', encode(sha256('tok'::bytea), 'hex')), (:'other', encode(sha256('other'::bytea), 'hex'));
insert into public.workspaces (connection_id, bison_workspace_id) values (:'conn', 1)
returning id as ws \gset
select private.record_webhook_subscription_check(:ws, 'ok', 1, 'registered');
select private.expect_webhook_test(:ws) as nonce \gset

select ok(not private.record_webhook_test_delivery(encode(sha256('other'::bytea), 'hex'), :'nonce'),
  'another connection''s token does not count');
select ok(not private.record_webhook_test_delivery(encode(sha256('tok'::bytea), 'hex'),
  repeat('0', 32)), 'an unexpected nonce does not count');
select ok(private.record_webhook_test_delivery(encode(sha256('tok'::bytea), 'hex'), :'nonce'),
  'the expected delivery counts');
select ok((select received_at is not null from private.webhook_test_deliveries where nonce = :'nonce'),
  'its arrival is recorded');
select is((select verified_token_sha256 from private.webhook_subscriptions where workspace_id = :ws),
  encode(sha256('tok'::bytea), 'hex'), 'the subscription is verified for that token');

select * from finish();
rollback;
