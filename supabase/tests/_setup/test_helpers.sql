-- Applied by `npm test` after migrations and seed, never by a deploy: the pgTAP and plpgsql_check
-- extensions, and a `tests` schema of helpers that every pgTAP file may use to act as a user.
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;

-- The first migration revoked EXECUTE from PUBLIC on new functions; pgTAP's own functions must stay
-- callable while a test acts as anon or authenticated.
do $$
declare
  fn regprocedure;
begin
  for fn in
    select d.objid::regprocedure from pg_catalog.pg_depend d
    join pg_catalog.pg_extension e on e.oid = d.refobjid
    where e.extname = 'pgtap' and d.classid = 'pg_catalog.pg_proc'::regclass and d.deptype = 'e'
  loop
    execute format('grant execute on function %s to public', fn);
  end loop;
end
$$;

create schema if not exists tests;

create or replace function tests.create_user(email text)
returns uuid
language sql
set search_path = ''
as $$
  -- As Supabase Auth writes a user: the nil instance id (the only one it looks users up in) and
  -- empty strings, not NULLs, in its token columns.
  insert into auth.users (
    instance_id, id, email, aud, role, raw_app_meta_data, raw_user_meta_data, created_at,
    updated_at, confirmation_token, recovery_token, email_change_token_new, email_change
  )
  values (
    '00000000-0000-0000-0000-000000000000', gen_random_uuid(), email, 'authenticated',
    'authenticated', '{"provider":"email","providers":["email"]}', '{}', now(), now(), '', '', '',
    ''
  )
  returning id;
$$;
comment on function tests.create_user(text) is
  'Creates an auth.users row for a test, as Supabase Auth would (no password: it cannot sign in '
  'with one), and returns its id.';

create or replace function tests.user_id(email text)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select id from auth.users where auth.users.email = user_id.email;
$$;
comment on function tests.user_id(text) is
  'The id of the test user with that email, readable whatever role the test currently acts as.';

create or replace function tests.authenticate_as(user_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', json_build_object(
    'sub', user_id, 'role', 'authenticated', 'aud', 'authenticated',
    'email', (select email from auth.users where id = user_id))::text, true);
  perform set_config('role', 'authenticated', true);
end;
$$;
comment on function tests.authenticate_as(uuid) is
  'Acts as that user for the rest of the transaction: role authenticated with its JWT claims, '
  'as PostgREST sets them.';

create or replace function tests.authenticate_as_anon()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"anon"}', true);
  perform set_config('role', 'anon', true);
end;
$$;
comment on function tests.authenticate_as_anon() is
  'Acts as an anonymous API caller for the rest of the transaction.';

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
  perform set_config('role', 'service_role', true);
end;
$$;
comment on function tests.authenticate_as_service_role() is
  'Acts as the service role (bypasses RLS) for the rest of the transaction.';

create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
  reset role;
  perform set_config('request.jwt.claims', '', true);
end;
$$;
comment on function tests.clear_authentication() is
  'Back to the postgres role with no JWT claims.';


-- One complete mailbox inventory of a workspace, as poll-sender-emails applies it: lease the
-- workspace (made due first), apply the inventory (REST field names) and close the sync run.
-- started_offset moves the run's start, for tests that need runs to follow one another within
-- one transaction (where now() does not move).
create or replace function tests.apply_inventory(
  target_workspace_id bigint,
  mailboxes jsonb,
  started_offset interval default interval '0'
)
returns public.sender_email_sync_runs
language plpgsql
set search_path = ''
as $$
declare
  claimed record;
  applied record;
  run public.sender_email_sync_runs;
begin
  insert into private.workspace_poll_state (workspace_id, next_poll_at)
  values (target_workspace_id, '-infinity')
  on conflict (workspace_id) do update
    set next_poll_at = '-infinity', lease_owner = null, lease_expires_at = null;
  select * into claimed from private.claim_workspace_for_polling(gen_random_uuid()) c
  where c.workspace_id = target_workspace_id;
  if claimed.sync_run_id is null then
    raise exception 'workspace % could not be leased (does it have an API key?)',
      target_workspace_id;
  end if;
  update public.sender_email_sync_runs set started_at = now() + started_offset
  where id = claimed.sync_run_id;
  select * into applied from private.apply_sender_email_snapshot(claimed.sync_run_id, mailboxes);
  perform private.finish_workspace_poll(claimed.sync_run_id, 1, jsonb_array_length(mailboxes),
    applied.upserted, applied.removed, true, null);
  select * into run from public.sender_email_sync_runs r where r.id = claimed.sync_run_id;
  return run;
end;
$$;
comment on function tests.apply_inventory(bigint, jsonb, interval) is
  'Leases a workspace, applies one complete inventory to it and closes the sync run, as the '
  'poller does; returns the sync run.';

-- A connection (UTC) with one workspace (Bison id 1) that has an API key, so it can be polled.
create or replace function tests.create_polled_workspace(connection_name text)
returns table (connection_id uuid, workspace_id bigint)
language plpgsql
set search_path = ''
as $$
begin
  insert into public.bison_connections (name, base_url, timezone)
  values (connection_name, 'https://' || connection_name || '.example.test', 'UTC')
  returning id into connection_id;
  insert into public.workspaces (connection_id, bison_workspace_id, name)
  values (create_polled_workspace.connection_id, 1, connection_name || ' Co')
  returning id into workspace_id;
  perform private.set_workspace_api_key(workspace_id, 'api-key-' || md5(connection_name));
  return next;
end;
$$;
comment on function tests.create_polled_workspace(text) is
  'Creates a UTC connection named connection_name with one workspace (Bison id 1) holding an API '
  'key; returns both ids.';

-- What every access test asks about: a workspace, another one of the same agency, a member of
-- each, and an agency admin.
create or replace function tests.create_workspaces_and_people(
  connection_name text,
  client bigint,
  other_client bigint
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  connection_id uuid;
begin
  insert into public.bison_connections (name, base_url, timezone)
  values (connection_name, 'https://' || md5(connection_name) || '.example.test', 'UTC')
  returning id into connection_id;
  insert into public.workspaces (id, connection_id, bison_workspace_id, name)
  overriding system value
  values (client, connection_id, 1, 'Client'), (other_client, connection_id, 2, 'Other client');
  insert into public.workspace_members (user_id, workspace_id)
  values (tests.create_user('member@example.test'), client),
         (tests.create_user('outsider@example.test'), other_client);
  insert into public.agency_admins (user_id) values (tests.create_user('admin@example.test'));
end;
$$;
comment on function tests.create_workspaces_and_people(text, bigint, bigint) is
  'Creates a UTC connection named connection_name with two workspaces of the ids client and '
  'other_client, and the users member@example.test (a member of client), outsider@example.test '
  '(a member of other_client) and admin@example.test (an agency admin).';

-- A pg_cron job that calls an edge function, with one successful run recorded, as the health
-- checks read them. The run's runid is one past any pg_cron recorded: postgres may not draw from
-- pg_cron's sequence, as on hosted.
create or replace function tests.schedule_function_job(
  job_name text,
  schedule text,
  function_path text,
  succeeded_at timestamptz
)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform cron.schedule(job_name, schedule,
    format('select private.invoke_edge_function(%L, ''{}''::jsonb, 5000)', function_path));
  insert into cron.job_run_details (jobid, runid, job_pid, database, username, command, status,
                                    return_message, start_time, end_time)
  select j.jobid, (select coalesce(max(d.runid), 0) + 1 from cron.job_run_details d), 1,
         'postgres', 'postgres', j.command, 'succeeded', 'SELECT 1', succeeded_at, succeeded_at
  from cron.job j where j.jobname = job_name;
end;
$$;
comment on function tests.schedule_function_job(text, text, text, timestamptz) is
  'Creates a pg_cron job calling the edge function at function_path (timeout 5 s) and records '
  'one successful run of it at succeeded_at.';

-- n REST mailboxes with ids from first_id on, for inventories.
create or replace function tests.rest_mailboxes(n integer, first_id bigint default 1)
returns jsonb
language sql
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'id', first_id + i, 'email', 'sender' || (first_id + i) || '@example.test',
    'status', 'Connected', 'type', 'google_workspace_oauth', 'daily_limit', 30,
    'emails_sent_count', 500, 'unique_replied_count', 10, 'bounced_count', 1,
    'updated_at', '2026-11-01T00:00:00Z', 'tags', '[]'::jsonb) order by i), '[]')
  from generate_series(0, n - 1) i;
$$;
comment on function tests.rest_mailboxes(integer, bigint) is
  'n mailboxes as Bison''s REST API lists them (ids first_id, first_id + 1, ...).';

-- A time zone whose date is not UTC's at this moment, so that a test of local days would fail on
-- UTC days whenever it runs: UTC+14 is a day ahead of UTC from 10:00 UTC, UTC-11 a day behind
-- until 11:00 UTC.
create or replace function tests.timezone_off_the_utc_date()
returns text
language sql
stable
set search_path = ''
as $$
  select case when extract(hour from now() at time zone 'UTC') >= 10 then 'Pacific/Kiritimati'
              else 'Pacific/Pago_Pago' end;
$$;
comment on function tests.timezone_off_the_utc_date() is
  'A zone whose local date differs from the UTC date at the transaction''s now().';

grant usage on schema tests to anon, authenticated, service_role;
grant execute on all functions in schema tests to anon, authenticated, service_role;

-- Tests put events on past days (an hour, a day, a month ago): the daily partitions of
-- webhook_events a live project has for the days behind it. The migrations create them from
-- today on.
select private.create_webhook_event_partition(d::date)
from generate_series((now() at time zone 'UTC')::date - 60, (now() at time zone 'UTC')::date - 1,
                     interval '1 day') d;
