-- private.invoke_edge_function queues a POST to the project's functions URL from Vault with the
-- cron secret in a header and an explicit timeout, which the function is told in a header too;
-- the secret never appears in the URL.
begin;
select plan(7);

select lives_ok(
  $$select private.invoke_edge_function('insights/generate', '{"workspace_id": 1}', 20000)$$,
  'postgres (the cron job owner) can call it');

select is(
  (select url from net.http_request_queue order by id desc limit 1),
  (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
    || '/functions/v1/insights/generate',
  'the URL is the Vault project_url plus /functions/v1/<path>');
select is(
  (select headers ->> 'x-cron-secret' from net.http_request_queue order by id desc limit 1),
  (select decrypted_secret from vault.decrypted_secrets where name = 'cron_secret'),
  'the cron secret travels in the x-cron-secret header');
select is(
  (select timeout_milliseconds from net.http_request_queue order by id desc limit 1),
  20000, 'the timeout is explicit');
select is(
  (select headers ->> 'x-caller-timeout-ms' from net.http_request_queue order by id desc limit 1),
  '20000', 'and the function is told it, to end its run before pg_net gives up');
select is(
  (select convert_from(body, 'UTF8')::jsonb from net.http_request_queue order by id desc limit 1),
  '{"workspace_id": 1}'::jsonb, 'the body is sent as JSON');
select is(
  (select method::text from net.http_request_queue order by id desc limit 1),
  'POST', 'it is a POST');

select * from finish();
rollback;
