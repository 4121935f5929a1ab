-- Stand-in for hosted Supabase Vault (extension supabase_vault 0.3.x), which
-- cannot be installed on a plain PostgreSQL: its crypto is C code from
-- pgsodium with a server-held root key. Our migrations store and read secrets
-- through vault.create_secret(), vault.update_secret() and
-- vault.decrypted_secrets, so those keep hosted's names, signatures, bodies and
-- grants exactly. Only the three private crypto helpers
-- (vault._crypto_aead_det_*) are reimplemented, in SQL on pgcrypto: secrets are
-- encrypted at rest with pgp_sym_encrypt under a passphrase derived (HMAC) from
-- a random root key and the row's id, and the root key sits in
-- vault._local_root_key, owned by the platform superuser. That table is the
-- one object hosted does not have; it exists only in stand-in mode (postgres
-- can read it, as it can read every table through pg_read_all_data, which
-- hosted grants it; hosted's root key is outside the database).
--
-- Nothing here runs when supabase_vault is installed, and nothing is created
-- next to a vault.secrets that this file did not create (no root key table),
-- so a hosted database or a second run is left untouched.
--
-- Grants copied from hosted (extension script + supabase/postgres
-- supabase_vault/after-create.sql): EXECUTE on all five vault functions is
-- revoked from PUBLIC; postgres gets usage on schema vault, select and delete
-- on vault.secrets and vault.decrypted_secrets, execute on create_secret,
-- update_secret and _crypto_aead_det_decrypt, all WITH GRANT OPTION;
-- service_role gets the same without grant option. anon and authenticated get
-- nothing.

do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'supabase_vault') then
    return;
  end if;

  if not exists (select from pg_catalog.pg_namespace where nspname = 'vault') then
    create schema vault;
    grant usage on schema vault to postgres with grant option;
    grant usage on schema vault to service_role;
  end if;

  -- A vault.secrets without our key table is someone else's vault: keep out.
  if pg_catalog.to_regclass('vault._local_root_key') is null
     and pg_catalog.to_regclass('vault.secrets') is null then
    create table vault._local_root_key (
      singleton boolean primary key default true check (singleton),
      key bytea not null default extensions.gen_random_bytes(32),
      created_at timestamp with time zone not null default now()
    );
    revoke all on table vault._local_root_key from public;
    comment on table vault._local_root_key is
      'Local stand-in only: root key for vault._crypto_aead_det_*; hosted keeps it outside the database.';
  end if;

  if pg_catalog.to_regclass('vault._local_root_key') is not null then
    -- Created once; never replaced, or every stored secret would be lost.
    insert into vault._local_root_key (singleton) values (true)
    on conflict (singleton) do nothing;
  end if;
end
$$;

do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'supabase_vault')
     or pg_catalog.to_regclass('vault._local_root_key') is null then
    return;
  end if;

  -- Same signature as hosted's C function. security definer: only the owner
  -- may read the root key. volatile: pgp output is randomised.
  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('vault') and p.proname = '_crypto_aead_det_encrypt'
  ) then
    create function vault._crypto_aead_det_encrypt(
      message bytea,
      additional bytea,
      key_id bigint,
      context bytea = 'pgsodium',
      nonce bytea = null
    )
      returns bytea
      language sql
      volatile
      security definer
      set search_path = ''
    as $fn$
      select extensions.pgp_sym_encrypt_bytea(
        message,
        pg_catalog.encode(
          extensions.hmac(
            coalesce(additional, ''::bytea) || '\x00'::bytea
              || pg_catalog.convert_to(coalesce(key_id, 0)::text, 'UTF8') || '\x00'::bytea
              || coalesce(context, ''::bytea) || '\x00'::bytea
              || coalesce(nonce, ''::bytea),
            k.key,
            'sha256'
          ),
          'hex'
        ),
        'cipher-algo=aes256, s2k-mode=1'
      )
      from vault._local_root_key k
    $fn$;
    revoke all on function vault._crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea) from public;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('vault') and p.proname = '_crypto_aead_det_decrypt'
  ) then
    create function vault._crypto_aead_det_decrypt(
      message bytea,
      additional bytea,
      key_id bigint,
      context bytea = 'pgsodium',
      nonce bytea = null
    )
      returns bytea
      language sql
      stable
      security definer
      set search_path = ''
    as $fn$
      select extensions.pgp_sym_decrypt_bytea(
        message,
        pg_catalog.encode(
          extensions.hmac(
            coalesce(additional, ''::bytea) || '\x00'::bytea
              || pg_catalog.convert_to(coalesce(key_id, 0)::text, 'UTF8') || '\x00'::bytea
              || coalesce(context, ''::bytea) || '\x00'::bytea
              || coalesce(nonce, ''::bytea),
            k.key,
            'sha256'
          ),
          'hex'
        )
      )
      from vault._local_root_key k
    $fn$;
    revoke all on function vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) from public;
    grant execute on function vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to postgres with grant option;
    grant execute on function vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea) to service_role;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('vault') and p.proname = '_crypto_aead_det_noncegen'
  ) then
    create function vault._crypto_aead_det_noncegen()
      returns bytea
      language sql
      volatile
      set search_path = ''
    as $fn$
      select extensions.gen_random_bytes(16)
    $fn$;
    revoke all on function vault._crypto_aead_det_noncegen() from public;
  end if;
end
$$;

do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'supabase_vault')
     or pg_catalog.to_regclass('vault._local_root_key') is null then
    return;
  end if;

  if pg_catalog.to_regclass('vault.secrets') is null then
    create table vault.secrets (
      id uuid primary key default gen_random_uuid(),
      name text,
      description text not null default '',
      secret text not null,
      key_id uuid,
      nonce bytea default vault._crypto_aead_det_noncegen(),
      created_at timestamp with time zone not null default current_timestamp,
      updated_at timestamp with time zone not null default current_timestamp
    );
    comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';
    create unique index secrets_name_idx on vault.secrets using btree (name) where name is not null;
    grant select, delete on table vault.secrets to postgres with grant option;
    grant select, delete on table vault.secrets to service_role;
  end if;

  if pg_catalog.to_regclass('vault.decrypted_secrets') is null then
    create view vault.decrypted_secrets as
    select s.id,
      s.name,
      s.description,
      s.secret,
      convert_from(
        vault._crypto_aead_det_decrypt(
          message := decode(s.secret, 'base64'::text),
          additional := convert_to(s.id::text, 'utf8'),
          key_id := 0,
          context := 'pgsodium'::bytea,
          nonce := s.nonce
        ),
        'utf8'::name
      ) as decrypted_secret,
      s.key_id,
      s.nonce,
      s.created_at,
      s.updated_at
    from vault.secrets s;
    grant select, delete on table vault.decrypted_secrets to postgres with grant option;
    grant select, delete on table vault.decrypted_secrets to service_role;
  end if;
end
$$;

-- Bodies verbatim from supabase_vault 0.3.x.
do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'supabase_vault')
     or pg_catalog.to_regclass('vault._local_root_key') is null then
    return;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('vault') and p.proname = 'create_secret'
  ) then
    create function vault.create_secret(
      new_secret text,
      new_name text = null,
      new_description text = '',
      -- unused
      new_key_id uuid = null
    )
      returns uuid
      security definer
      language plpgsql
      set search_path = ''
    as $fn$
    DECLARE
      rec record;
    BEGIN
      INSERT INTO vault.secrets (secret, name, description)
      VALUES (
        new_secret,
        new_name,
        new_description
      )
      RETURNING * INTO rec;
      UPDATE vault.secrets s
      SET secret = encode(vault._crypto_aead_det_encrypt(
        message := convert_to(rec.secret, 'utf8'),
        additional := convert_to(s.id::text, 'utf8'),
        key_id := 0,
        context := 'pgsodium'::bytea,
        nonce := rec.nonce
      ), 'base64')
      WHERE id = rec.id;
      RETURN rec.id;
    END
    $fn$;
    revoke all on function vault.create_secret(text, text, text, uuid) from public;
    grant execute on function vault.create_secret(text, text, text, uuid) to postgres with grant option;
    grant execute on function vault.create_secret(text, text, text, uuid) to service_role;
  end if;

  if not exists (
    select from pg_catalog.pg_proc p
    where p.pronamespace = pg_catalog.to_regnamespace('vault') and p.proname = 'update_secret'
  ) then
    create function vault.update_secret(
      secret_id uuid,
      new_secret text = null,
      new_name text = null,
      new_description text = null,
      -- unused
      new_key_id uuid = null
    )
      returns void
      security definer
      language plpgsql
      set search_path = ''
    as $fn$
    DECLARE
      decrypted_secret text := (SELECT decrypted_secret FROM vault.decrypted_secrets WHERE id = secret_id);
    BEGIN
      UPDATE vault.secrets s
      SET
        secret = CASE WHEN new_secret IS NULL THEN s.secret
                      ELSE encode(vault._crypto_aead_det_encrypt(
                        message := convert_to(new_secret, 'utf8'),
                        additional := convert_to(s.id::text, 'utf8'),
                        key_id := 0,
                        context := 'pgsodium'::bytea,
                        nonce := s.nonce
                      ), 'base64') END,
        name = coalesce(new_name, s.name),
        description = coalesce(new_description, s.description),
        updated_at = now()
      WHERE s.id = secret_id;
    END
    $fn$;
    revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
    grant execute on function vault.update_secret(uuid, text, text, text, uuid) to postgres with grant option;
    grant execute on function vault.update_secret(uuid, text, text, text, uuid) to service_role;
  end if;
end
$$;
