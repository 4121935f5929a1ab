-- A rotated token keeps authenticating deliveries for the grace period, then answers like any
-- unknown token; the current URL is kept in Vault for the subscription checks.
begin;
select plan(12);

insert into public.bison_connections (name, base_url)
values ('Rotating agency', 'https://send.example.test') returning id as conn \gset

select is(
  private.set_webhook_url(:'conn',
    'https://ref.supabase.example.test/functions/v1/universal-bison-webhook/' || repeat('a', 43)),
  null, 'the first URL retires nothing');
select is(private.connection_webhook_url(:'conn'),
  'https://ref.supabase.example.test/functions/v1/universal-bison-webhook/' || repeat('a', 43),
  'the current URL is kept in Vault');

create function pg_temp.deliver(token text) returns text
language sql volatile set search_path = '' as $$
  select private.ingest_webhook_event(encode(sha256(convert_to(token, 'UTF8')), 'hex'),
    jsonb_build_object('event', jsonb_build_object('type', 'TAG_ATTACHED', 'workspace_id', 7),
      'data', jsonb_build_object('tag_id', (random() * 1e9)::bigint, 'taggable_type', 'lead',
                                 'taggable_id', 1))) ->> 'outcome';
$$;

select is(pg_temp.deliver(repeat('a', 43)), 'processed', 'the current token authenticates');

select cmp_ok(
  private.set_webhook_url(:'conn',
    'https://ref.supabase.example.test/functions/v1/universal-bison-webhook/' || repeat('b', 43),
    interval '5 minutes'),
  '>', now() + interval '4 minutes', 'rotating returns when the old token stops working');
select is(pg_temp.deliver(repeat('a', 43)), 'processed',
  'a delivery in flight to the old URL is accepted during the grace period');
select is(pg_temp.deliver(repeat('b', 43)), 'processed', 'the new token authenticates');
select is(private.connection_webhook_url(:'conn'),
  'https://ref.supabase.example.test/functions/v1/universal-bison-webhook/' || repeat('b', 43),
  'Vault holds the new URL');

-- The grace period is over.
update private.webhook_token_versions set expires_at = now() - interval '1 second'
where connection_id = :'conn' and expires_at is not null;
select is(pg_temp.deliver(repeat('a', 43)), 'unauthorized',
  'after the grace period the old token is refused');
select is(
  (select sum(deliveries)::int from private.webhook_rejections
   where connection_id is null and reason = 'unauthorized'),
  1, 'and counted as an unknown token');

select is(
  (select value #>> '{}' from private.settings where key = 'webhook_token_grace'),
  '15 minutes', 'the default grace period is 15 minutes');

select throws_ok(
  format('select private.set_webhook_url(%L, %L)', :'conn', 'https://elsewhere.example.test/x'),
  '22023', null, 'a URL that is not a webhook URL is refused');
select throws_ok(
  format('select private.set_webhook_url(%L, %L)', gen_random_uuid(),
    'https://ref.supabase.example.test/functions/v1/universal-bison-webhook/' || repeat('c', 43)),
  'P0002', null, 'an unknown connection is refused');

select * from finish();
rollback;
