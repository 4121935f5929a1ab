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
