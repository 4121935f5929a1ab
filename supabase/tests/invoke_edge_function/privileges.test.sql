-- Only the database owner (pg_cron jobs) and operators may call edge functions from SQL.
begin;
select plan(3);

select tests.authenticate_as_anon();
select throws_ok($$select private.invoke_edge_function('poll-sender-emails')$$, '42501', null,
  'anon cannot execute the cron helper');

select tests.clear_authentication();
select tests.authenticate_as(tests.create_user('member@example.test'));
select throws_ok($$select private.invoke_edge_function('poll-sender-emails')$$, '42501', null,
  'authenticated cannot execute the cron helper');

select tests.clear_authentication();
select tests.authenticate_as_service_role();
select throws_ok($$select private.invoke_edge_function('poll-sender-emails')$$, '42501', null,
  'service_role cannot execute it either: it is for cron jobs');

select * from finish();
rollback;
