-- Emergency catch-ups start only for silent workspaces with a key, and at most once per cooldown.
begin;
select plan(5);

insert into public.bison_connections (name, base_url) values ('pgtap', 'https://x.example.test');
insert into public.workspaces (connection_id, bison_workspace_id, name)
select id, n, 'W' || n from public.bison_connections, generate_series(1, 3) n where name = 'pgtap';
create temp table ws as
  select w.bison_workspace_id as n, w.id from public.workspaces w
  join public.bison_connections c on c.id = w.connection_id where c.name = 'pgtap';
select private.set_workspace_api_key(id, 'api-key-0123456789') from ws where n in (1, 2);
insert into public.system_health (check_name, scope, workspace_id, status, message, checked_at,
                                  changed_at)
select 'webhook_silence', 'workspace:' || id, id, case when n = 2 then 'healthy' else 'down' end,
       'x', now(), now()
from ws;
delete from net.http_request_queue;

select is(private.start_emergency_catchups(), 1,
  'one catch-up: W1 is silent with a key (W2 is fine, W3 has no key)');
select is(
  (select convert_from(body, 'UTF8')::jsonb ->> 'workspace_id' from net.http_request_queue),
  (select id::text from ws where n = 1), 'for W1');
select ok(
  (select url from net.http_request_queue) like '%/functions/v1/check-system-health/catch-up',
  'through the catch-up route');
select is(private.start_emergency_catchups(), 0, 'not again within the cooldown');
select is(private.start_emergency_catchups(now() + interval '11 minutes'), 1,
  'again after the cooldown');

select * from finish();
rollback;
