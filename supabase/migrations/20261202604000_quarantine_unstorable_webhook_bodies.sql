-- Some bodies are valid JSON that PostgreSQL cannot store as jsonb: a NUL or a lone surrogate
-- escape inside a key, a number like 1e1000000, nesting deeper than the parser allows. Cast in
-- the SQL statement, they failed it (a 500 on every retry, for ever) and the server log quoted
-- the payload around the error. The body now reaches the database as text and is cast inside an
-- exception block: what cannot be stored is kept raw in a quarantine table, counted among the
-- rejections, and answered like a stored event so Bison stops retrying. An error caught there
-- is never written to the server log.
create table private.quarantined_webhook_bodies (
  id bigint generated always as identity primary key,
  connection_id uuid not null references public.bison_connections (id) on delete cascade,
  received_at timestamptz not null default now(),
  reason text not null,
  body text not null
);
create index quarantined_webhook_bodies_connection_id_received_at_idx
  on private.quarantined_webhook_bodies (connection_id, received_at);
comment on table private.quarantined_webhook_bodies is
  'Webhook bodies that were valid JSON but that PostgreSQL cannot store as jsonb, kept as '
  'received (decoded as UTF-8) with the SQLSTATE that refused them. Service-only; pruned with '
  'the raw payloads (webhook_payload_retention).';
alter table private.quarantined_webhook_bodies enable row level security;
revoke all on private.quarantined_webhook_bodies from public, anon, authenticated, service_role;
grant select on private.quarantined_webhook_bodies to service_role;

alter table private.webhook_rejections drop constraint webhook_rejections_reason_check;
alter table private.webhook_rejections add constraint webhook_rejections_reason_check
  check (reason in ('unauthorized', 'payload_too_large', 'invalid_json', 'invalid_envelope',
                    'unstorable_body'));
comment on table private.webhook_rejections is
  'Deliveries refused or quarantined before anything was derived, counted per connection (null '
  'when the token matched none), hour and reason (unstorable_body: kept in '
  'private.quarantined_webhook_bodies).';

create or replace function private.ingest_webhook_body(
  token_sha256 text,
  body text,
  received text default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_connection_id uuid;
  v_payload jsonb;
  v_reason text;
  v_quarantine_id bigint;
begin
  select t.connection_id into v_connection_id
  from private.webhook_tokens t where t.token_sha256 = ingest_webhook_body.token_sha256;
  if v_connection_id is null then
    perform private.count_webhook_rejection(null, 'unauthorized');
    return jsonb_build_object('outcome', 'unauthorized');
  end if;
  begin
    v_payload := body::jsonb;
  exception when others then
    -- Only the SQLSTATE is kept: the message would quote the body.
    get stacked diagnostics v_reason = returned_sqlstate;
  end;
  if v_payload is null then
    insert into private.quarantined_webhook_bodies (connection_id, reason, body)
    values (v_connection_id, coalesce(v_reason, 'null'), coalesce(received, body, ''))
    returning id into v_quarantine_id;
    perform private.count_webhook_rejection(v_connection_id, 'unstorable_body');
    return jsonb_build_object('outcome', 'quarantined', 'quarantine_id', v_quarantine_id);
  end if;
  return private.ingest_event(v_connection_id, v_payload);
end;
$$;
comment on function private.ingest_webhook_body(text, text, text) is
  'Stores and processes one Bison webhook delivery given as JSON text. token_sha256 is the hex '
  'SHA-256 of the URL token; received, when given, is the body as it arrived (body being a '
  'cleaned copy). A body PostgreSQL cannot store as jsonb is kept raw (received, else body) in '
  'private.quarantined_webhook_bodies and counted as an unstorable_body rejection, without its '
  'content reaching any log. Returns {outcome: unauthorized | quarantined | duplicate | processed '
  '| unknown_type | failed, event_id, workspace_id, quarantine_id}. Raises 22023 for a body '
  'without event.type (nothing stored).';

-- Quarantined bodies are pruned with the raw payloads.
create or replace function private.prune_webhook_events(batch_size integer default 10000)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  retention interval := private.setting_interval('webhook_payload_retention', null);
  deleted bigint := 0;
  batch bigint;
begin
  if retention is null or retention < interval '1 day' then
    raise exception 'webhook_payload_retention must be an interval of at least 1 day, got %',
      coalesce(retention::text, 'nothing') using errcode = '22023';
  end if;
  loop
    -- Events never processed successfully are kept: they are the ones still to be reprocessed.
    delete from private.webhook_events
    where id in (
      select id from private.webhook_events
      where received_at < now() - retention and status in ('processed', 'unknown_type')
      order by id limit batch_size
    );
    get diagnostics batch = row_count;
    deleted := deleted + batch;
    exit when batch < batch_size;
  end loop;
  delete from private.quarantined_webhook_bodies where received_at < now() - retention;
  get diagnostics batch = row_count;
  return deleted + batch;
end;
$$;
comment on function private.prune_webhook_events(integer) is
  'Deletes raw webhook events (processed or of unknown type) and quarantined bodies older than '
  'the webhook_payload_retention setting, in batches; failed or unprocessed events are kept for '
  'reprocessing. Returns how many it deleted.';
