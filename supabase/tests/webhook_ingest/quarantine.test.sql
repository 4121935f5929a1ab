-- A body that is valid JSON but that PostgreSQL cannot store as jsonb is kept raw in quarantine,
-- counted among the rejections and answered like a stored event (no error for ever, Bison stops
-- retrying); nothing is derived from it.
begin;
select plan(7);

insert into public.bison_connections (name, base_url) values ('quarantine', 'https://q.example.test')
returning id as conn \gset
insert into private.webhook_tokens (connection_id, token_sha256)
values (:'conn', encode(sha256('quarantine-token'::bytea), 'hex'));

create temp table bodies (n int, body text);
insert into bodies values
  (1, '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"k\u0000ey": 1}}'),
  (2, '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"\ud800": 1}}'),
  (3, '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"n": 1e1000000}}'),
  (4, '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"deep": '
        || repeat('[', 100000) || repeat(']', 100000) || '}}');

select results_eq(
  $$select private.ingest_webhook_body(encode(sha256('quarantine-token'::bytea), 'hex'), body)
             ->> 'outcome'
    from bodies order by n$$,
  $$values ('quarantined'), ('quarantined'), ('quarantined'), ('quarantined')$$,
  'a NUL or a lone surrogate in a key, 1e1000000, nesting too deep: all quarantined');
select results_eq(
  format($$select body from private.quarantined_webhook_bodies where connection_id = %L
           order by id$$, :'conn'),
  $$select body from bodies order by n$$, 'each kept exactly as received');
select results_eq(
  format($$select reason from private.quarantined_webhook_bodies where connection_id = %L
           order by id$$, :'conn'),
  $$values ('22P05'), ('22P02'), ('22003'), ('54001')$$, 'with the SQLSTATE that refused it');
select is(
  (select deliveries from private.webhook_rejections
   where connection_id = :'conn' and reason = 'unstorable_body'), 4,
  'counted among the rejections');
select is((select count(*)::int from private.webhook_events where connection_id = :'conn'), 0,
  'nothing stored as an event or derived');
select is(
  private.ingest_webhook_body(encode(sha256('quarantine-token'::bytea), 'hex'),
    '{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"scheduled_email": {"id": 1}}}')
    ->> 'outcome', 'processed', 'a storable body takes the usual path');
select is(
  private.ingest_webhook_body(encode(sha256('other-token'::bytea), 'hex'), '{"event": 1}')
    ->> 'outcome', 'unauthorized', 'an unknown token is refused before anything is kept');

select * from finish();
rollback;
