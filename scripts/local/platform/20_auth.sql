-- Stand-in for the parts of hosted Supabase Auth (GoTrue) that live in the
-- database: schema auth, table auth.users and the JWT helper functions
-- auth.uid(), auth.role(), auth.email() and auth.jwt(). Our RLS policies and
-- foreign keys reference them, and locally no GoTrue runs migrations to create
-- them. Bodies are copied from hosted (supabase/auth migrations, as shown by
-- pg_dump of a hosted project); the only difference is a fixed empty
-- search_path. Each object is created only when absent, so a hosted database or
-- a second run is left untouched.
--
-- Grants copied from hosted: usage on schema auth to anon, authenticated,
-- service_role; the helper functions keep PostgreSQL's default EXECUTE for
-- PUBLIC (hosted grants nothing narrower), so all three API roles can call
-- them. auth.users gets no grant at all: on hosted only supabase_auth_admin,
-- postgres and dashboard_user have table privileges there; anon,
-- authenticated and service_role cannot read it.

do $$
begin
  if not exists (select from pg_catalog.pg_namespace where nspname = 'auth') then
    create schema auth;
  end if;
end
$$;

do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (
      select
      from pg_catalog.pg_namespace n,
           pg_catalog.aclexplode(n.nspacl) a
      where n.nspname = 'auth'
        and a.grantee = pg_catalog.to_regrole(r)
        and a.privilege_type = 'USAGE'
    ) then
      execute pg_catalog.format('grant usage on schema auth to %I', r);
    end if;
  end loop;
end
$$;

-- Column list, defaults and constraints as in a current hosted pg_dump of auth.users.
do $$
begin
  if pg_catalog.to_regclass('auth.users') is null then
    create table auth.users (
      instance_id uuid,
      id uuid not null,
      aud character varying(255),
      role character varying(255),
      email character varying(255),
      encrypted_password character varying(255),
      email_confirmed_at timestamp with time zone,
      invited_at timestamp with time zone,
      confirmation_token character varying(255),
      confirmation_sent_at timestamp with time zone,
      recovery_token character varying(255),
      recovery_sent_at timestamp with time zone,
      email_change_token_new character varying(255),
      email_change character varying(255),
      email_change_sent_at timestamp with time zone,
      last_sign_in_at timestamp with time zone,
      raw_app_meta_data jsonb,
      raw_user_meta_data jsonb,
      is_super_admin boolean,
      created_at timestamp with time zone,
      updated_at timestamp with time zone,
      phone text default null::character varying,
      phone_confirmed_at timestamp with time zone,
      phone_change text default ''::character varying,
      phone_change_token character varying(255) default ''::character varying,
      phone_change_sent_at timestamp with time zone,
      confirmed_at timestamp with time zone
        generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
      email_change_token_current character varying(255) default ''::character varying,
      email_change_confirm_status smallint default 0,
      banned_until timestamp with time zone,
      reauthentication_token character varying(255) default ''::character varying,
      reauthentication_sent_at timestamp with time zone,
      is_sso_user boolean default false not null,
      deleted_at timestamp with time zone,
      is_anonymous boolean default false not null,
      constraint users_pkey primary key (id),
      constraint users_phone_key unique (phone),
      constraint users_email_change_confirm_status_check
        check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2)
    );

    comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
    comment on column auth.users.is_sso_user is 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';

    create unique index users_email_partial_key on auth.users using btree (email) where (is_sso_user = false);
    create index users_instance_id_idx on auth.users using btree (instance_id);
    create index users_is_anonymous_idx on auth.users using btree (is_anonymous);
  end if;
end
$$;

do $$
begin
  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('auth') and p.proname = 'uid'
  ) then
    create function auth.uid()
      returns uuid
      language sql
      stable
      set search_path = ''
    as $fn$
      select
      coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $fn$;
    comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('auth') and p.proname = 'role'
  ) then
    create function auth.role()
      returns text
      language sql
      stable
      set search_path = ''
    as $fn$
      select
      coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $fn$;
    comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('auth') and p.proname = 'email'
  ) then
    create function auth.email()
      returns text
      language sql
      stable
      set search_path = ''
    as $fn$
      select
      coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
      )::text
    $fn$;
    comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('auth') and p.proname = 'jwt'
  ) then
    create function auth.jwt()
      returns jsonb
      language sql
      stable
      set search_path = ''
    as $fn$
      select
        coalesce(
            nullif(current_setting('request.jwt.claim', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
    $fn$;
  end if;
end
$$;

-- The tables Supabase Auth keeps sessions in, which the local Auth stand-in
-- (scripts/local/auth) reads and writes as GoTrue does: auth.identities,
-- auth.sessions, auth.refresh_tokens and auth.mfa_amr_claims, with the columns,
-- constraints and indexes supabase/auth's migrations leave them with (columns
-- only MFA, SSO and the OAuth server use are left out: the stand-in offers
-- none of them). Each is created only when absent.
--
-- Privileges as on hosted: RLS on (supabase/auth 20240612123726), no grant to
-- the API roles, and ALL for postgres (hosted's default privileges for tables
-- supabase_auth_admin creates in auth), which also covers a local stack where
-- postgres is not the superuser that runs this file. Where the platform's
-- supabase_auth_admin role exists, it owns them, as on hosted.

do $$
begin
  if not exists (
    select from pg_catalog.pg_type t
    where t.typnamespace = pg_catalog.to_regnamespace('auth') and t.typname = 'aal_level'
  ) then
    create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
  end if;
end
$$;

do $$
begin
  if pg_catalog.to_regclass('auth.identities') is null then
    create table auth.identities (
      provider_id text not null,
      user_id uuid not null,
      identity_data jsonb not null,
      provider text not null,
      last_sign_in_at timestamp with time zone,
      created_at timestamp with time zone,
      updated_at timestamp with time zone,
      email text generated always as (lower(identity_data ->> 'email')) stored,
      id uuid not null default gen_random_uuid(),
      constraint identities_pkey primary key (id),
      constraint identities_provider_id_provider_unique unique (provider_id, provider),
      constraint identities_user_id_fkey foreign key (user_id)
        references auth.users (id) on delete cascade
    );
    comment on table auth.identities is 'Auth: Stores identities associated to a user.';
    comment on column auth.identities.email is 'Auth: Email is a generated column that references the optional email property in the identity_data';
    create index identities_user_id_idx on auth.identities using btree (user_id);
    create index identities_email_idx on auth.identities using btree (email text_pattern_ops);
    comment on index auth.identities_email_idx is 'Auth: Ensures indexed queries on the email column';
    alter table auth.identities enable row level security;
  end if;

  if pg_catalog.to_regclass('auth.sessions') is null then
    create table auth.sessions (
      id uuid not null,
      user_id uuid not null,
      created_at timestamp with time zone,
      updated_at timestamp with time zone,
      factor_id uuid,
      aal auth.aal_level,
      not_after timestamp with time zone,
      refreshed_at timestamp without time zone,
      user_agent text,
      ip inet,
      tag text,
      constraint sessions_pkey primary key (id),
      constraint sessions_user_id_fkey foreign key (user_id)
        references auth.users (id) on delete cascade
    );
    comment on table auth.sessions is 'Auth: Stores session data associated to a user.';
    comment on column auth.sessions.not_after is 'Auth: Not after is a nullable column that contains a timestamp after which the session should be regarded as expired.';
    create index sessions_user_id_idx on auth.sessions using btree (user_id);
    create index user_id_created_at_idx on auth.sessions using btree (user_id, created_at);
    create index sessions_not_after_idx on auth.sessions using btree (not_after desc);
    alter table auth.sessions enable row level security;
  end if;

  if pg_catalog.to_regclass('auth.refresh_tokens') is null then
    create table auth.refresh_tokens (
      instance_id uuid,
      id bigserial not null,
      token character varying(255),
      user_id character varying(255),
      revoked boolean,
      created_at timestamp with time zone,
      updated_at timestamp with time zone,
      parent character varying(255),
      session_id uuid,
      constraint refresh_tokens_pkey primary key (id),
      constraint refresh_tokens_token_unique unique (token),
      constraint refresh_tokens_session_id_fkey foreign key (session_id)
        references auth.sessions (id) on delete cascade
    );
    comment on table auth.refresh_tokens is 'Auth: Store of tokens used to refresh JWT tokens once they expire.';
    create index refresh_tokens_instance_id_idx on auth.refresh_tokens using btree (instance_id);
    create index refresh_tokens_instance_id_user_id_idx
      on auth.refresh_tokens using btree (instance_id, user_id);
    create index refresh_tokens_parent_idx on auth.refresh_tokens using btree (parent);
    create index refresh_tokens_session_id_revoked_idx
      on auth.refresh_tokens using btree (session_id, revoked);
    create index refresh_tokens_updated_at_idx on auth.refresh_tokens using btree (updated_at desc);
    alter table auth.refresh_tokens enable row level security;
  end if;

  if pg_catalog.to_regclass('auth.mfa_amr_claims') is null then
    create table auth.mfa_amr_claims (
      session_id uuid not null,
      created_at timestamp with time zone not null,
      updated_at timestamp with time zone not null,
      authentication_method text not null,
      id uuid not null,
      constraint amr_id_pk primary key (id),
      constraint mfa_amr_claims_session_id_authentication_method_pkey
        unique (session_id, authentication_method),
      constraint mfa_amr_claims_session_id_fkey foreign key (session_id)
        references auth.sessions (id) on delete cascade
    );
    comment on table auth.mfa_amr_claims is 'auth: stores authenticator method reference claims for multi factor authentication';
    alter table auth.mfa_amr_claims enable row level security;
  end if;
end
$$;

-- auth.one_time_tokens: the email links' token hashes (invite, signup, magic link), as GoTrue
-- keeps them beside users.confirmation_token / recovery_token (supabase/auth 20240427152123).
do $$
begin
  if not exists (
    select from pg_catalog.pg_type t
    where t.typnamespace = pg_catalog.to_regnamespace('auth') and t.typname = 'one_time_token_type'
  ) then
    create type auth.one_time_token_type as enum (
      'confirmation_token', 'reauthentication_token', 'recovery_token', 'email_change_token_new',
      'email_change_token_current', 'phone_change_token');
  end if;
  if pg_catalog.to_regclass('auth.one_time_tokens') is null then
    create table auth.one_time_tokens (
      id uuid not null,
      user_id uuid not null,
      token_type auth.one_time_token_type not null,
      token_hash text not null,
      relates_to text not null,
      created_at timestamp without time zone not null default now(),
      updated_at timestamp without time zone not null default now(),
      constraint one_time_tokens_pkey primary key (id),
      constraint one_time_tokens_user_id_fkey foreign key (user_id)
        references auth.users (id) on delete cascade,
      constraint one_time_tokens_token_hash_check check (char_length(token_hash) > 0)
    );
    create index one_time_tokens_token_hash_hash_idx on auth.one_time_tokens
      using hash (token_hash);
    create index one_time_tokens_relates_to_hash_idx on auth.one_time_tokens
      using hash (relates_to);
    create unique index one_time_tokens_user_id_token_type_key on auth.one_time_tokens
      (user_id, token_type);
    alter table auth.one_time_tokens enable row level security;
  end if;
end
$$;

-- Grants and owners, only on tables this file created (a hosted database's own tables are left as
-- they are): a table whose owner is still the role running this file is one of ours.
do $$
declare
  t text;
begin
  -- Before the owner changes: the sequence changes owner with its table.
  if exists (
    select from pg_catalog.pg_class c
    where c.oid = pg_catalog.to_regclass('auth.refresh_tokens_id_seq')
      and pg_catalog.pg_get_userbyid(c.relowner) = current_user
  ) then
    grant all on sequence auth.refresh_tokens_id_seq to postgres;
  end if;
  foreach t in array array['identities', 'sessions', 'refresh_tokens', 'mfa_amr_claims',
                           'one_time_tokens'] loop
    if exists (
      select from pg_catalog.pg_class c
      where c.oid = pg_catalog.to_regclass('auth.' || t) and pg_catalog.pg_get_userbyid(c.relowner) = current_user
    ) then
      execute pg_catalog.format('grant all on table auth.%I to postgres', t);
      if pg_catalog.to_regrole('supabase_auth_admin') is not null then
        execute pg_catalog.format('alter table auth.%I owner to supabase_auth_admin', t);
      end if;
    end if;
  end loop;
end
$$;
