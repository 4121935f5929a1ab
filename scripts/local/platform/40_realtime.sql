-- Stand-in for the database side of hosted Supabase Realtime Broadcast: schema
-- realtime, table realtime.messages, realtime.topic(), realtime.send(),
-- realtime.broadcast_changes() and the supabase_realtime publication. On hosted
-- the Realtime service creates these through its own tenant migrations
-- (supabase/realtime lib/realtime/tenants/repo/migrations); locally no
-- Realtime server runs, but our migrations write RLS policies on
-- realtime.messages and call realtime.send() from triggers, so the objects must
-- exist and behave the same. Definitions, bodies and grants are copied from
-- those migrations (squash 20260420 + messages default partition); functions
-- add a fixed empty search_path. Each object is created only when absent.
--
-- Grants copied from hosted: usage on schema realtime to postgres, anon,
-- authenticated, service_role; select, insert, update on realtime.messages to
-- postgres, anon, authenticated, service_role; delete, truncate, references,
-- trigger on realtime.messages to postgres; functions keep the default EXECUTE
-- for PUBLIC. Row level security is enabled on realtime.messages with no
-- policy, so anon/authenticated see and write nothing until a project policy
-- allows it. Hosted's owner role supabase_realtime_admin is not created: locally
-- postgres owns these objects.

do $$
begin
  if not exists (select from pg_catalog.pg_namespace where nspname = 'realtime') then
    create schema realtime;
  end if;
end
$$;

do $$
declare
  r text;
begin
  foreach r in array array['postgres', 'anon', 'authenticated', 'service_role'] loop
    if not exists (
      select
      from pg_catalog.pg_namespace n,
           pg_catalog.aclexplode(n.nspacl) a
      where n.nspname = 'realtime'
        and a.grantee = pg_catalog.to_regrole(r)
        and a.privilege_type = 'USAGE'
    ) then
      execute pg_catalog.format('grant usage on schema realtime to %I', r);
    end if;
  end loop;
end
$$;

-- Hosted partitions by day and adds a DEFAULT partition; locally only the
-- default partition exists, so inserts never need a partition made by hand.
do $$
begin
  if pg_catalog.to_regclass('realtime.messages') is null then
    create table realtime.messages (
      topic text not null,
      extension text not null,
      payload jsonb,
      event text,
      private boolean default false,
      updated_at timestamp without time zone default now() not null,
      inserted_at timestamp without time zone default now() not null,
      id uuid default gen_random_uuid() not null,
      constraint messages_pkey primary key (id, inserted_at)
    )
    partition by range (inserted_at);

    create table realtime.messages_default partition of realtime.messages default;

    create index messages_inserted_at_topic_index
      on realtime.messages using btree (inserted_at desc, topic)
      where ((extension = 'broadcast'::text) and (private is true));

    alter table realtime.messages enable row level security;

    grant select, insert, update on table realtime.messages to postgres, anon, authenticated, service_role;
    grant delete, truncate, references, trigger on table realtime.messages to postgres;
  end if;
end
$$;

do $$
begin
  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('realtime') and p.proname = 'topic'
  ) then
    create function realtime.topic()
      returns text
      language sql
      stable
      set search_path = ''
    as $fn$
      select nullif(current_setting('realtime.topic', true), '')::text;
    $fn$;
  end if;

  -- Never raises: a failed broadcast must not abort the caller's transaction.
  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('realtime') and p.proname = 'send'
  ) then
    create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
      returns void
      language plpgsql
      set search_path = ''
    as $fn$
    DECLARE
      generated_id uuid;
      final_payload jsonb;
    BEGIN
      BEGIN
        generated_id := gen_random_uuid();

        -- Check if payload has an 'id' key, if not, add the generated UUID
        IF payload ? 'id' THEN
          final_payload := payload;
        ELSE
          final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
        END IF;

        -- Set the topic configuration
        EXECUTE format('SET LOCAL realtime.topic TO %L', topic);

        INSERT INTO realtime.messages (id, payload, event, topic, private, extension)
        VALUES (generated_id, final_payload, event, topic, private, 'broadcast');
      EXCEPTION
        WHEN OTHERS THEN
          RAISE WARNING 'WarnSendingBroadcastMessage: %', SQLERRM;
      END;
    END;
    $fn$;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('realtime') and p.proname = 'broadcast_changes'
  ) then
    create function realtime.broadcast_changes(
      topic_name text,
      event_name text,
      operation text,
      table_name text,
      table_schema text,
      new record,
      old record,
      level text default 'ROW'::text
    )
      returns void
      language plpgsql
      set search_path = ''
    as $fn$
    DECLARE
        row_data jsonb := '{}'::jsonb;
    BEGIN
        IF level = 'STATEMENT' THEN
            RAISE EXCEPTION 'function can only be triggered for each row, not for each statement';
        END IF;
        IF operation = 'INSERT' OR operation = 'UPDATE' OR operation = 'DELETE' THEN
            row_data := jsonb_build_object('old_record', OLD, 'record', NEW, 'operation', operation, 'table', table_name, 'schema', table_schema);
            PERFORM realtime.send (row_data, event_name, topic_name);
        ELSE
            RAISE EXCEPTION 'Unexpected operation type: %', operation;
        END IF;
    EXCEPTION
        WHEN OTHERS THEN
            RAISE EXCEPTION 'Failed to process the row: %', SQLERRM;
    END;
    $fn$;
  end if;
end
$$;

-- Hosted creates it empty; projects add their tables to it.
do $$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;
