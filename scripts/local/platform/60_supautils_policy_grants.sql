-- Stand-in for supautils' policy_grants. On hosted Supabase, postgres may create, alter and drop
-- row level security policies on a few platform tables it does not own, the ones listed for it in
-- supautils.policy_grants (realtime.messages, auth.users, storage.objects, ...), and on no other
-- table of the platform. PostgreSQL lets only a table's owner manage its policies, so locally two
-- event triggers, owned by the platform superuser, make postgres a member of the owning platform
-- roles for the duration of one CREATE/ALTER/DROP POLICY statement and take it back when the
-- statement ends (a failed statement rolls the membership back with it), and refuse a policy on
-- a table of those roles that is not on the list.
--
-- Schema supautils_local (15_privileged_extensions.sql) exists only locally.

create or replace function supautils_local.policy_grant_tables()
returns text[]
language sql
immutable
set search_path = ''
as $$
  -- supautils.policy_grants for postgres on hosted.
  select array[
    'auth.audit_log_entries', 'auth.flow_state', 'auth.identities', 'auth.instances',
    'auth.mfa_amr_claims', 'auth.mfa_challenges', 'auth.mfa_factors', 'auth.oauth_clients',
    'auth.one_time_tokens', 'auth.refresh_tokens', 'auth.saml_providers',
    'auth.saml_relay_states', 'auth.sessions', 'auth.sso_domains', 'auth.sso_providers',
    'auth.users', 'realtime.messages', 'realtime.subscription', 'storage.buckets',
    'storage.buckets_analytics', 'storage.objects', 'storage.prefixes',
    'storage.s3_multipart_uploads', 'storage.s3_multipart_uploads_parts'
  ]
$$;
comment on function supautils_local.policy_grant_tables() is
  'Local stack only: the tables supautils.policy_grants lets postgres write policies on.';

create or replace function supautils_local.platform_table_owners()
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array['supabase_auth_admin', 'supabase_realtime_admin', 'supabase_storage_admin']
$$;
comment on function supautils_local.platform_table_owners() is
  'Local stack only: the platform roles that own the tables named in policy_grants.';

create or replace function supautils_local.lend_policy_owners(lend boolean)
returns void
language plpgsql
set search_path = ''
as $$
declare
  owner text;
begin
  foreach owner in array supautils_local.platform_table_owners() loop
    if pg_catalog.to_regrole(owner) is not null then
      execute pg_catalog.format(
        case when lend then 'grant %I to postgres' else 'revoke %I from postgres' end, owner
      );
    end if;
  end loop;
end;
$$;
comment on function supautils_local.lend_policy_owners(boolean) is
  'Local stack only: makes postgres a member of the platform table owners'' roles, or no longer.';

create or replace function supautils_local.assert_policy_granted(table_name text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if (select r.rolname from pg_catalog.pg_class t join pg_catalog.pg_roles r on r.oid = t.relowner
      where t.oid = pg_catalog.to_regclass(table_name)) = any (supautils_local.platform_table_owners())
     and not (table_name = any (supautils_local.policy_grant_tables())) then
    raise exception 'must be owner of table %', table_name using errcode = '42501';
  end if;
end;
$$;
comment on function supautils_local.assert_policy_granted(text) is
  'Local stack only: refuses a policy on a platform table that policy_grants does not list.';

create or replace function supautils_local.grant_policy_owners()
returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if session_user = 'postgres' then
    perform supautils_local.lend_policy_owners(true);
  end if;
end;
$$;
comment on function supautils_local.grant_policy_owners() is
  'Local stack only: lends postgres the platform table owners'' roles for one policy statement.';

create or replace function supautils_local.check_policy_grants()
returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if session_user <> 'postgres' then
    return;
  end if;
  perform supautils_local.assert_policy_granted(p.polrelid::regclass::text)
  from pg_catalog.pg_event_trigger_ddl_commands() c
  join pg_catalog.pg_policy p on p.oid = c.objid
  where c.classid = 'pg_catalog.pg_policy'::regclass;
  perform supautils_local.lend_policy_owners(false);
end;
$$;
comment on function supautils_local.check_policy_grants() is
  'Local stack only: refuses a policy on a platform table outside policy_grants, then takes back '
  'what grant_policy_owners lent.';

create or replace function supautils_local.check_dropped_policy_grants()
returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if session_user = 'postgres' then
    perform supautils_local.assert_policy_granted(
      pg_catalog.quote_ident(d.address_names[1]) || '.' || pg_catalog.quote_ident(d.address_names[2])
    )
    from pg_catalog.pg_event_trigger_dropped_objects() d
    where d.object_type = 'policy';
  end if;
end;
$$;
comment on function supautils_local.check_dropped_policy_grants() is
  'Local stack only: refuses dropping a policy of a platform table outside policy_grants.';

revoke all on function supautils_local.policy_grant_tables() from public;
revoke all on function supautils_local.platform_table_owners() from public;
revoke all on function supautils_local.lend_policy_owners(boolean) from public;
revoke all on function supautils_local.assert_policy_granted(text) from public;
revoke all on function supautils_local.grant_policy_owners() from public;
revoke all on function supautils_local.check_policy_grants() from public;
revoke all on function supautils_local.check_dropped_policy_grants() from public;

drop event trigger if exists supautils_local_policy_grants_start;
create event trigger supautils_local_policy_grants_start on ddl_command_start
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
  execute function supautils_local.grant_policy_owners();

drop event trigger if exists supautils_local_policy_grants_end;
create event trigger supautils_local_policy_grants_end on ddl_command_end
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
  execute function supautils_local.check_policy_grants();

drop event trigger if exists supautils_local_policy_grants_drop;
create event trigger supautils_local_policy_grants_drop on sql_drop
  when tag in ('DROP POLICY')
  execute function supautils_local.check_dropped_policy_grants();
