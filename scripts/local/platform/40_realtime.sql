-- Stand-in for the database side of hosted Supabase Realtime Broadcast: schema
-- realtime, table realtime.messages, realtime.topic(), realtime.send(),
-- realtime.broadcast_changes() and the supabase_realtime publication. On hosted
-- the Realtime service creates these through its own tenant migrations
-- (supabase/realtime lib/realtime/tenants/repo/migrations); our migrations
-- write RLS policies on realtime.messages and call realtime.send() from
-- triggers, so the objects must exist and behave the same. Definitions, bodies
-- and grants are copied from those migrations; functions add a fixed empty
-- search_path. Each object is created only when absent.
--
-- Owners and grants as on hosted (supabase/postgres realtime-schema init script,
-- Realtime's messages_partitioning and restrict_realtime_schema migrations):
-- schema realtime belongs to supabase_admin, realtime.messages and the
-- functions to supabase_realtime_admin. postgres has usage on the schema (with
-- grant option) and select, insert, update on realtime.messages, as do anon,
-- authenticated and service_role; functions keep the default EXECUTE for
-- PUBLIC. postgres is not a member of supabase_realtime_admin: it writes
-- policies on realtime.messages through supautils' policy_grants (stand-in:
-- 60_supautils_policy_grants.sql). RLS is on with no policy, so anon and
-- authenticated see and write nothing until a project policy allows it. The
-- publication supabase_realtime belongs to postgres (created by the platform's
-- init script, which ran as postgres).
--
-- realtime.messages has no default partition, as on hosted: Realtime creates a
-- partition per UTC day, from yesterday to three days ahead, and drops those
-- older than three days (Realtime.Tenants.create_messages_partitions,
-- Realtime.Messages.delete_old_messages, run by its janitor). A message
-- inserted for a day without a partition fails, and realtime.send() turns that
-- failure into a WARNING: the broadcast is lost. Locally
-- realtime_local.maintain_message_partitions() does Realtime's part; it runs
-- when these files are applied and periodically from a long-running local
-- service (scripts/local/dispatcher.ts, and the Realtime stand-in).

do $$
begin
  if not exists (select from pg_catalog.pg_namespace where nspname = 'realtime') then
    create schema realtime authorization supabase_admin;
  end if;
end
$$;

grant usage on schema realtime to anon, authenticated, service_role;
grant usage on schema realtime to postgres with grant option;
grant all on schema realtime to supabase_realtime_admin with grant option;

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

    create index messages_inserted_at_topic_index
      on realtime.messages using btree (inserted_at desc, topic)
      where ((extension = 'broadcast'::text) and (private is true));

    alter table realtime.messages enable row level security;
    alter table realtime.messages owner to supabase_realtime_admin;

    grant select, insert, update on table realtime.messages to postgres, anon, authenticated, service_role;
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

alter function realtime.topic() owner to supabase_realtime_admin;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
alter function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  owner to supabase_realtime_admin;

-- Hosted creates it empty; projects add their tables to it.
do $$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
    alter publication supabase_realtime owner to postgres;
  end if;
end
$$;

-- Realtime's partition upkeep, done locally by the platform. Superuser only.
create schema if not exists realtime_local;
revoke all on schema realtime_local from public;
comment on schema realtime_local is
  'Local stack only: what the Realtime server does to the database on hosted. Never deployed.';

create or replace function realtime_local.maintain_message_partitions()
returns void
language plpgsql
set search_path = ''
as $$
declare
  today constant date := (pg_catalog.now() at time zone 'UTC')::date;
  -- Realtime drops a day's partition once the day lies before (now - 72 hours)'s date.
  oldest_kept constant date := ((pg_catalog.now() at time zone 'UTC') - interval '72 hours')::date;
  day date;
  partition_name text;
begin
  for day in select d::date from pg_catalog.generate_series(today - 1, today + 3, interval '1 day') d
  loop
    partition_name := 'messages_' || pg_catalog.to_char(day, 'YYYY_MM_DD');
    begin
      execute pg_catalog.format(
        'create table if not exists realtime.%I partition of realtime.messages '
        'for values from (%L) to (%L)',
        partition_name, day::text, (day + 1)::text
      );
      execute pg_catalog.format(
        'alter table realtime.%I owner to supabase_realtime_admin', partition_name
      );
    exception when others then
      -- Realtime logs PartitionCreationFailed and carries on with the next day.
      raise warning 'PartitionCreationFailed: realtime.%: %', partition_name, sqlerrm;
    end;
  end loop;

  for partition_name in
    select c.relname
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'realtime.messages'::regclass
      and c.relname ~ '^messages_[0-9]{4}_[0-9]{2}_[0-9]{2}$'
  loop
    if pg_catalog.to_date(pg_catalog.substr(partition_name, 10), 'YYYY_MM_DD') < oldest_kept then
      execute pg_catalog.format('drop table if exists realtime.%I', partition_name);
    end if;
  end loop;
end;
$$;
revoke all on function realtime_local.maintain_message_partitions() from public;
comment on function realtime_local.maintain_message_partitions() is
  'Local stack only: creates realtime.messages'' daily partitions (UTC yesterday to three days '
  'ahead) and drops those older than three days, as the Realtime server does on hosted. '
  'Superuser only; run when the platform stand-ins are applied and periodically.';

select realtime_local.maintain_message_partitions();
