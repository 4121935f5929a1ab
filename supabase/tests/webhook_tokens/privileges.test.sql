-- Webhook tokens, their versions and the functions that manage them are the service's only.
begin;
select plan(10);

select tests.authenticate_as_anon();
select throws_ok('select * from private.webhook_token_versions', '42501', null,
  'anon cannot read token versions');
select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('tokens@example.test'));
select throws_ok('select * from private.webhook_token_versions', '42501', null,
  'authenticated cannot read token versions');
select throws_ok(
  $$select private.connection_webhook_url(gen_random_uuid())$$, '42501', null,
  'authenticated cannot read a webhook URL');
select tests.clear_authentication();
select tests.authenticate_as_service_role();
select throws_ok('select * from private.webhook_token_versions', '42501', null,
  'service_role cannot read token versions');
select throws_ok('select * from private.webhook_tokens', '42501', null,
  'service_role cannot read valid tokens');
select throws_ok(
  $$select private.connection_webhook_url(gen_random_uuid())$$, '42501', null,
  'service_role cannot read a webhook URL');
select throws_ok(
  $$select private.set_webhook_url(gen_random_uuid(), 'https://x.example.test/f/universal-bison-webhook/abc')$$,
  '42501', null, 'service_role cannot set a webhook URL');
select tests.clear_authentication();

select ok(not has_function_privilege(r, 'private.set_webhook_url(uuid, text, interval)', 'execute'),
  r || ' cannot execute set_webhook_url')
from unnest(array['anon', 'authenticated', 'service_role']) r;

select * from finish();
rollback;
