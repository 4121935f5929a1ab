-- Disconnecting forgets every credential held for a connection and keeps its data; purging
-- deletes the data too. Other connections are untouched.
begin;
select plan(10);

insert into public.bison_connections (name, base_url)
values ('Leaving agency', 'https://send.example.test'), ('Staying agency', 'https://stay.example.test');
select id as conn from public.bison_connections where name = 'Leaving agency' \gset
select id as stay from public.bison_connections where name = 'Staying agency' \gset
select private.set_webhook_url(c.id,
  'https://ref.example.test/functions/v1/universal-bison-webhook/' || repeat(left(c.name, 1), 43))
from public.bison_connections c;
insert into public.workspaces (connection_id, bison_workspace_id)
select c, n from unnest(array[:'conn'::uuid, :'stay'::uuid]) c, generate_series(1, 2) n;
select private.set_workspace_api_key(w.id, 'key-' || w.id || '-abcdefgh') from public.workspaces w;
select private.ingest_webhook_event(encode(sha256(convert_to(repeat('L', 43), 'UTF8')), 'hex'),
  '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"campaign_event": {"id": 5}}}');

select private.record_webhook_subscription_check(w.id, 'ok', 1, null)
from public.workspaces w where w.connection_id = :'conn';

select is(private.disconnect_connection(:'conn'),
  '{"tokens_revoked": 1, "api_keys_forgotten": 2}'::jsonb, 'what was forgotten');
select ok((select disconnected_at is not null from public.bison_connections where id = :'conn'),
  'the connection is marked disconnected');
select is(
  private.ingest_webhook_event(encode(sha256(convert_to(repeat('L', 43), 'UTF8')), 'hex'),
    '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"campaign_event": {"id": 6}}}') ->> 'outcome',
  'unauthorized', 'its deliveries are refused');
select is(private.connection_webhook_url(:'conn'), null, 'its webhook URL is gone from Vault');
select is(
  (select count(*)::int from vault.secrets where name like 'bison_api_key:workspace:%'), 2,
  'only the other connection''s keys stay in Vault');
select is(
  (select count(*)::int from private.workspace_api_access(null) where connection_id = :'conn'), 0,
  'nothing can poll, catch up or reconcile it');
select is(
  (select count(*)::int from private.webhook_events where connection_id = :'conn'), 1,
  'its history is kept');
select is(
  (select count(*)::int from private.webhook_subscriptions s
   join public.workspaces w on w.id = s.workspace_id where w.connection_id = :'conn'), 0,
  'the records of its deleted webhook registrations are gone');

select is(private.purge_connection(:'conn') ->> 'events_deleted', '1', 'purging deletes its events');
select is((select count(*)::int from public.workspaces where connection_id = :'stay'), 2,
  'the other connection is untouched');

select * from finish();
rollback;
