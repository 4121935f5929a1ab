-- A delivery is a duplicate whatever became of its first copy: stored in another day's partition,
-- or gone with its partition after the retention. The ledger of idempotency keys
-- (private.webhook_event_keys) outlives the raw events; nothing is counted twice.
begin;
select plan(9);

insert into public.bison_connections (name, base_url, timezone)
values ('Ledger agency', 'https://send.example.test', 'UTC') returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('tok'::bytea), 'hex'));

create function pg_temp.email_sent(event_id int) returns jsonb
language sql immutable set search_path = '' as $$
  select jsonb_build_object(
    'event', jsonb_build_object('type', 'EMAIL_SENT', 'workspace_id', 1,
                                'workspace_name', 'Client'),
    'data', jsonb_build_object(
      'scheduled_email', jsonb_build_object('id', event_id,
                                            'sent_at', '2024-08-02T06:08:38.000000Z'),
      'lead', jsonb_build_object('id', event_id),
      'campaign', jsonb_build_object('id', 2)));
$$;
create function pg_temp.deliver(event_id int) returns text
language sql set search_path = '' as $$
  select private.ingest_webhook_event(encode(sha256('tok'::bytea), 'hex'),
                                      pg_temp.email_sent(event_id)) ->> 'outcome';
$$;

select is(pg_temp.deliver(1), 'processed', 'a first delivery is processed');
select is((select count(*) from private.webhook_event_keys
           where key_hash = private.webhook_event_key_hash(
             (select idempotency_key from private.webhook_events))),
  1::bigint, 'its key is in the ledger, as a digest');

-- The first copy is now in yesterday's partition: the retry lands in today's.
update private.webhook_events set received_at = now() - interval '1 day';
select isnt((select tableoid from private.webhook_events),
  (select p.partition::oid from private.webhook_event_partitions() p
   where now() >= p.starts_at and now() < p.ends_at),
  'setup: the first copy is stored in another partition than today''s');
select is(pg_temp.deliver(1), 'duplicate', 'a retry is a duplicate across partitions');
select is((select count(*) from private.webhook_events), 1::bigint, 'and is not stored');

-- Past the retention: the first copy's day is dropped whole.
update private.webhook_events set received_at = now() - interval '40 days';
select ok((select jsonb_array_length(private.maintain_webhook_events() -> 'partitions_dropped'))
          >= 1, 'setup: the retention drops the first copy''s partition');
select is((select count(*) from private.webhook_events), 0::bigint,
  'setup: its raw event is gone');
select is(pg_temp.deliver(1), 'duplicate',
  'a retry of an event dropped by the retention is still a duplicate');
select results_eq('select emails_sent from public.workspace_daily_metrics',
  array[1], 'and the email is counted once');

select * from finish();
rollback;
