-- Bad input and missing configuration fail clearly and queue nothing.
begin;
select plan(5);

-- A cron job may have queued a call before npm test paused the scheduler: count only ours.
delete from net.http_request_queue;

select throws_ok($$select private.invoke_edge_function('../etc/passwd')$$, '22023', null,
  'a path that is not a function name is rejected');
select throws_ok($$select private.invoke_edge_function('https://evil.example/x')$$, '22023', null,
  'a URL is rejected');
select throws_ok($$select private.invoke_edge_function('poll-sender-emails', '{}', 0)$$, '22023',
  null, 'a zero timeout is rejected');

delete from vault.secrets where name = 'cron_secret';
select throws_ok($$select private.invoke_edge_function('poll-sender-emails')$$, '55000',
  'Vault secrets "project_url" and "cron_secret" must both exist',
  'a missing Vault secret is a clear error');

select is((select count(*) from net.http_request_queue), 0::bigint, 'nothing was queued');

select * from finish();
rollback;
