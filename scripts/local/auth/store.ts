// What the Auth stand-in keeps in the database, in the tables and columns Supabase Auth uses
// (auth.users, auth.identities, auth.sessions, auth.refresh_tokens, auth.mfa_amr_claims), written
// the way its models write them: users of instance 00000000-…, passwords hashed with bcrypt
// (cost 10, `$2a$`), one refresh-token row per rotation with its parent, sessions deleted on
// logout. The SQL is the only part of the stand-in that knows the schema.
import type postgres from "postgres";
import bcrypt from "bcryptjs";

type Sql = postgres.Sql;
type Row = Record<string, unknown>;

/** GoTrue keeps every user under the nil instance id and only finds users there. */
const instanceId = "00000000-0000-0000-0000-000000000000";
/** bcrypt.DefaultCost, what Supabase Auth hashes passwords with. */
const bcryptCost = 10;

export interface Identity {
  identity_id: string;
  id: string;
  user_id: string;
  identity_data: Row;
  provider: string;
  last_sign_in_at?: string;
  created_at: string;
  updated_at: string;
  email?: string;
}

/** A user as Supabase Auth's API returns it (no password hash, no tokens). */
export interface User {
  id: string;
  aud: string;
  role: string;
  email: string;
  phone: string;
  app_metadata: Row;
  user_metadata: Row;
  identities: Identity[];
  created_at: string;
  updated_at: string;
  is_anonymous: boolean;
  [optional: string]: unknown;
}

export interface AuthMethod {
  method: string;
  timestamp: number;
}

const iso = (value: unknown) => value instanceof Date ? value.toISOString() : undefined;

function userFrom(row: Row): User {
  const user: User = {
    id: String(row.id),
    aud: String(row.aud ?? ""),
    role: String(row.role ?? ""),
    email: String(row.email ?? ""),
    email_confirmed_at: iso(row.email_confirmed_at),
    phone: String(row.phone ?? ""),
    phone_confirmed_at: iso(row.phone_confirmed_at),
    confirmed_at: iso(row.confirmed_at),
    confirmation_sent_at: iso(row.confirmation_sent_at),
    recovery_sent_at: iso(row.recovery_sent_at),
    invited_at: iso(row.invited_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    app_metadata: (row.raw_app_meta_data ?? {}) as Row,
    user_metadata: (row.raw_user_meta_data ?? {}) as Row,
    identities: ((row.identities ?? []) as Row[]).map((identity) => ({
      identity_id: String(identity.identity_id),
      id: String(identity.id),
      user_id: String(identity.user_id),
      identity_data: identity.identity_data as Row,
      provider: String(identity.provider),
      last_sign_in_at: identity.last_sign_in_at as string | undefined,
      created_at: String(identity.created_at),
      updated_at: String(identity.updated_at),
      email: identity.email as string | undefined,
    })),
    created_at: iso(row.created_at) ?? "0001-01-01T00:00:00Z",
    updated_at: iso(row.updated_at) ?? "0001-01-01T00:00:00Z",
    banned_until: iso(row.banned_until),
    deleted_at: iso(row.deleted_at),
    is_anonymous: row.is_anonymous === true,
  };
  // GoTrue leaves unset timestamps out of the JSON altogether.
  for (const [key, value] of Object.entries(user)) if (value === undefined) delete user[key];
  return user;
}

/** The user columns the API shows, and the user's identities as JSON (timestamps as text). */
function userColumns(sql: Sql) {
  return sql`
    u.id, u.aud, u.role, u.email, u.phone, u.email_confirmed_at, u.phone_confirmed_at,
    u.confirmed_at, u.confirmation_sent_at, u.recovery_sent_at, u.invited_at, u.last_sign_in_at,
    u.raw_app_meta_data, u.raw_user_meta_data, u.created_at,
    u.updated_at, u.banned_until, u.deleted_at, u.is_anonymous,
    u.banned_until is not null and u.banned_until > now() as banned,
    (select coalesce(json_agg(json_build_object(
        'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id,
        'identity_data', i.identity_data, 'provider', i.provider,
        'last_sign_in_at', to_char(i.last_sign_in_at at time zone 'UTC',
          'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'created_at', to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'updated_at', to_char(i.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'email', i.email) order by i.created_at), '[]'::json)
     from auth.identities i where i.user_id = u.id) as identities`;
}

export interface StoredUser {
  user: User;
  banned: boolean;
  hasPassword: boolean;
  emailConfirmed: boolean;
}

function storedFrom(row: Row): StoredUser {
  return {
    user: userFrom(row),
    banned: row.banned === true,
    hasPassword: row.has_password === true,
    emailConfirmed: row.email_confirmed_at !== null,
  };
}

export async function findUserById(sql: Sql, id: string): Promise<StoredUser | null> {
  const [row] = await sql`
    select ${userColumns(sql)}, coalesce(u.encrypted_password, '') <> '' as has_password
    from auth.users u where u.instance_id = ${instanceId} and u.id = ${id}::uuid`;
  return row ? storedFrom(row) : null;
}

/**
 * The user with that email and audience whose password matches, as Supabase Auth signs users in
 * (email compared lower-cased, SSO users excluded): `null` when there is no such user.
 */
export async function findUserByPassword(
  sql: Sql,
  email: string,
  aud: string,
  password: string,
): Promise<(StoredUser & { passwordMatches: boolean }) | null> {
  const [row] = await sql`
    select ${userColumns(sql)},
      coalesce(u.encrypted_password, '') <> '' as has_password,
      u.encrypted_password
    from auth.users u
    where u.instance_id = ${instanceId} and lower(u.email) = lower(${email}) and u.aud = ${aud}
      and u.is_sso_user = false
    limit 1`;
  if (!row) return null;
  return {
    ...storedFrom(row),
    passwordMatches: await matchesHash(password, row.encrypted_password),
  };
}

/** Auth compares in its own process, as here: the database never sees the password. */
async function matchesHash(password: string, stored: unknown): Promise<boolean> {
  const hash = typeof stored === "string" ? stored : "";
  return /^\$2[abxy]\$/.test(hash) && await bcrypt.compare(password, hash);
}

export interface NewUser {
  id?: string;
  email: string;
  /** null: no password at all (an invited user sets one later). */
  password: string | null;
  aud: string;
  role: string;
  emailConfirm: boolean;
  userMetadata: Row;
  appMetadata: Row;
}

export class EmailTaken extends Error {}

/** Merges updates into metadata as Supabase Auth does: a null value removes the key. */
function merged(base: Row, updates: Row): Row {
  const result = { ...base };
  for (const [key, value] of Object.entries(updates)) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

/**
 * bcrypt as Auth's Go library writes it ($2a$, cost 10), hashed in this process as Auth hashes in
 * its own: the password never reaches the database.
 */
async function hashPassword(password: string): Promise<string> {
  const salt = (await bcrypt.genSalt(bcryptCost)).replace(/^\$2b\$/, "$2a$");
  return await bcrypt.hash(password, salt);
}

/** Inserts a user with an email identity inside the caller's transaction; returns its id. */
async function insertUser(tx: postgres.TransactionSql, input: NewUser): Promise<string> {
  const appMetadata = merged({ provider: "email", providers: ["email"] }, input.appMetadata);
  const userMetadata = input.emailConfirm
    ? merged(input.userMetadata, { email_verified: true })
    : input.userMetadata;
  const encryptedPassword = input.password === null ? "" : await hashPassword(input.password);
  const [taken] = await tx`
    select 1 from auth.users
    where instance_id = ${instanceId} and lower(email) = ${input.email} and aud = ${input.aud}
      and is_sso_user = false
    union all
    select 1 from auth.identities where email = ${input.email} and provider = 'email'
    limit 1`;
  if (taken) throw new EmailTaken();
  const [user] = await tx`
    insert into auth.users (
      instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
      raw_app_meta_data, raw_user_meta_data, created_at, updated_at, confirmation_token,
      recovery_token, email_change_token_new, email_change, is_sso_user, is_anonymous
    ) values (
      ${instanceId}, coalesce(${input.id ?? null}::uuid, gen_random_uuid()), ${input.aud},
      ${input.role}, ${input.email},
      ${encryptedPassword},
      case when ${input.emailConfirm} then now() end,
      ${tx.json(appMetadata as never)}, ${tx.json(userMetadata as never)}, now(), now(),
      '', '', '', '', false, false
    )
    returning id::text`;
  await tx`
    insert into auth.identities (
      provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at
    ) values (
      ${user.id}, ${user.id}::uuid,
      ${
    tx.json({ sub: user.id, email: input.email, email_verified: false, phone_verified: false })
  },
      'email', now(), now(), now()
    )`;
  return user.id as string;
}

/** Runs work in a transaction; a concurrent insert of the same email becomes EmailTaken. */
async function creatingUser<T>(
  sql: Sql,
  work: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  try {
    return await sql.begin(work) as T;
  } catch (error) {
    if ((error as { code?: string }).code === "23505") throw new EmailTaken();
    throw error;
  }
}

/** Creates a user with an email identity, as the admin API does. Throws EmailTaken. */
export async function createUser(sql: Sql, input: NewUser): Promise<User> {
  const id = await creatingUser(sql, (tx) => insertUser(tx, input));
  return (await findUserById(sql, id))!.user;
}

/** The email links this stand-in makes: GoTrue's invite, signup and magic link. */
export type EmailLinkType = "invite" | "signup" | "magiclink";

/** A user confirmed already cannot be invited or signed up again (GoTrue's email_exists). */
export class AlreadyConfirmed extends Error {}

/**
 * Prepares an email link as GoTrue's admin generate_link does: an invite creates the user if
 * needed (no password, not confirmed, invited now) and records a confirmation token; a magic link
 * records a recovery token for an existing user, and for a new one becomes a signup link (a user
 * with a random password and a confirmation token). The token is the hash the link carries; it is
 * kept on the user and in auth.one_time_tokens. Returns the user and the link's type.
 */
export async function prepareEmailLink(
  sql: Sql,
  input: {
    type: EmailLinkType;
    email: string;
    aud: string;
    data: Row;
    tokenHash: string;
  },
): Promise<{ user: User; type: EmailLinkType }> {
  let type = input.type;
  const id = await creatingUser(sql, async (tx) => {
    const [existing] = await tx`
      select id::text, email_confirmed_at is not null as confirmed from auth.users
      where instance_id = ${instanceId} and lower(email) = ${input.email} and aud = ${input.aud}
        and is_sso_user = false
      limit 1`;
    if (!existing && type === "magiclink") type = "signup";
    const newUser = (password: string | null) =>
      insertUser(tx, {
        email: input.email,
        password,
        aud: input.aud,
        role: "authenticated",
        emailConfirm: false,
        userMetadata: input.data,
        appMetadata: {},
      });
    let userId: string;
    if (type === "magiclink") {
      userId = existing.id;
      await tx`
        update auth.users set recovery_token = ${input.tokenHash}, recovery_sent_at = now()
        where id = ${userId}::uuid`;
    } else {
      if (existing?.confirmed) throw new AlreadyConfirmed();
      userId = existing?.id ??
        await newUser(type === "signup" ? crypto.randomUUID() + crypto.randomUUID() : null);
      await tx`
        update auth.users
        set confirmation_token = ${input.tokenHash}, confirmation_sent_at = now(),
            invited_at = case when ${type === "invite"} then now() else invited_at end
        where id = ${userId}::uuid`;
    }
    await tx`
      insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to)
      values (gen_random_uuid(), ${userId}::uuid,
              ${type === "magiclink" ? "recovery_token" : "confirmation_token"},
              ${input.tokenHash}, ${input.email})
      on conflict (user_id, token_type) do update
        set token_hash = excluded.token_hash, relates_to = excluded.relates_to,
            updated_at = now()`;
    return userId;
  });
  return { user: (await findUserById(sql, id))!.user, type };
}

export type EmailLinkCheck =
  | { outcome: "verified"; userId: string }
  | { outcome: "invalid" | "banned" };

/**
 * Uses an email link's token as GoTrue's verify does: the user it was recorded for, if the link
 * was sent less than linkLifetimeSeconds ago; an invite or signup confirms the email (an invited
 * user without a password gets a random one, to set later), a magic link clears its token and
 * confirms the email if it was not. Every one-time token of the user is then spent.
 */
export async function verifyEmailLink(
  sql: Sql,
  type: EmailLinkType,
  tokenHash: string,
  linkLifetimeSeconds: number,
): Promise<EmailLinkCheck> {
  const tokenType = type === "magiclink" ? "recovery_token" : "confirmation_token";
  return await sql.begin(async (tx): Promise<EmailLinkCheck> => {
    const [found] = await tx`
      select u.id::text, u.banned_until is not null and u.banned_until > now() as banned,
             coalesce(u.encrypted_password, '') <> '' as has_password,
             u.invited_at is not null as invited, u.email_confirmed_at is not null as confirmed,
             (case when ${tokenType} = 'recovery_token' then u.recovery_sent_at
                   else u.confirmation_sent_at end)
               + make_interval(secs => ${linkLifetimeSeconds}) < now() as expired
      from auth.one_time_tokens t join auth.users u on u.id = t.user_id
      where t.token_type = ${tokenType}::auth.one_time_token_type and t.token_hash = ${tokenHash}
      for update of u`;
    if (!found || found.expired) return { outcome: "invalid" };
    if (found.banned) return { outcome: "banned" };
    if (type !== "magiclink" && !found.has_password && found.invited) {
      await tx`update auth.users set encrypted_password = ${await hashPassword(
        crypto.randomUUID() + crypto.randomUUID(),
      )} where id = ${found.id}::uuid`;
    }
    if (type === "magiclink") {
      await tx`update auth.users set recovery_token = '' where id = ${found.id}::uuid`;
    }
    if (type !== "magiclink" || !found.confirmed) {
      await tx`
        update auth.users
        set confirmation_token = '', email_confirmed_at = now(),
            raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || '{"email_verified": true}'
        where id = ${found.id}::uuid`;
      await tx`
        update auth.identities i
        set identity_data = i.identity_data || '{"email_verified": true}', updated_at = now()
        from auth.users u
        where u.id = ${found.id}::uuid and i.user_id = u.id and i.email = u.email`;
    }
    await tx`delete from auth.one_time_tokens where user_id = ${found.id}::uuid`;
    return { outcome: "verified", userId: found.id };
  });
}

/**
 * Sets a signed-in user's new password as Supabase Auth's user update does: refused when it is the
 * password the user has already (`"same"`); else stored, every pending email or phone token
 * cleared (whoever changed the password may not trust what the old one allowed), and every other
 * session of the user ended (all of them when the token named none).
 */
export async function changePassword(
  sql: Sql,
  userId: string,
  password: string,
  keepSessionId: string | null,
): Promise<User | "same"> {
  const changed = await sql.begin(async (tx) => {
    const [row] = await tx`
      select encrypted_password from auth.users where id = ${userId}::uuid for update`;
    if (await matchesHash(password, row?.encrypted_password)) return false;
    await tx`
      update auth.users
      set encrypted_password = ${await hashPassword(password)},
          confirmation_token = '', confirmation_sent_at = null,
          recovery_token = '', recovery_sent_at = null,
          email_change_token_current = '', email_change_token_new = '', email_change_sent_at = null,
          phone_change_token = '', phone_change_sent_at = null,
          reauthentication_token = '', reauthentication_sent_at = null,
          updated_at = now()
      where id = ${userId}::uuid`;
    await tx`delete from auth.one_time_tokens where user_id = ${userId}::uuid`;
    await tx`
      delete from auth.sessions
      where user_id = ${userId}::uuid and id is distinct from ${keepSessionId}::uuid`;
    return true;
  });
  return changed ? (await findUserById(sql, userId))!.user : "same";
}

export async function listUsers(
  sql: Sql,
  aud: string,
  page: number,
  perPage: number,
): Promise<{ users: User[]; total: number }> {
  const rows = await sql`
    select ${userColumns(sql)}, count(*) over () as total
    from auth.users u where u.instance_id = ${instanceId} and u.aud = ${aud}
    order by u.created_at desc, u.id
    limit ${perPage} offset ${(page - 1) * perPage}`;
  const total = rows.length ? Number(rows[0].total) : Number(
    (await sql`
      select count(*) as total from auth.users
      where instance_id = ${instanceId} and aud = ${aud}`)[0].total,
  );
  return { users: rows.map((row) => userFrom(row)), total };
}

export async function deleteUser(sql: Sql, id: string): Promise<void> {
  await sql`delete from auth.users where instance_id = ${instanceId} and id = ${id}::uuid`;
}

/** base32, lower-cased, as Supabase Auth's SecureAlphanumeric makes refresh tokens. */
function secureAlphanumeric(length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((byte) => alphabet[byte & 31]).join("");
}

export interface SessionGrant {
  sessionId: string;
  refreshToken: string;
}

/**
 * Starts a session for the user as a sign-in does: the session (aal1), its first refresh token,
 * the authentication method in the session's AMR, and the user's last sign-in time.
 */
export async function startSession(
  sql: Sql,
  userId: string,
  method: string,
  userAgent: string | null,
): Promise<SessionGrant> {
  const refreshToken = secureAlphanumeric(12);
  return await sql.begin(async (tx) => {
    const [session] = await tx`
      insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent)
      values (gen_random_uuid(), ${userId}::uuid, now(), now(), 'aal1', ${userAgent})
      returning id::text`;
    await tx`
      insert into auth.refresh_tokens (
        instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id
      ) values (
        ${instanceId}, ${refreshToken}, ${userId}, false, now(), now(), null, ${session.id}::uuid
      )`;
    await tx`
      insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
      values (gen_random_uuid(), ${session.id}::uuid, now(), now(), ${method})
      on conflict on constraint mfa_amr_claims_session_id_authentication_method_pkey
      do update set updated_at = excluded.updated_at`;
    await tx`update auth.users set last_sign_in_at = now() where id = ${userId}::uuid`;
    return { sessionId: session.id as string, refreshToken };
  });
}

/** The session's authentication methods, most recent first, as the `amr` claim lists them. */
export async function sessionMethods(sql: Sql, sessionId: string): Promise<AuthMethod[]> {
  const rows = await sql`
    select authentication_method as method, extract(epoch from updated_at)::bigint as timestamp
    from auth.mfa_amr_claims where session_id = ${sessionId}::uuid
    order by updated_at desc`;
  return rows.map((row) => ({ method: String(row.method), timestamp: Number(row.timestamp) }));
}

export async function sessionExists(sql: Sql, sessionId: string): Promise<boolean> {
  const [row] = await sql`select 1 from auth.sessions where id = ${sessionId}::uuid`;
  return Boolean(row);
}

export type Refresh =
  | { outcome: "refreshed"; userId: string; sessionId: string; refreshToken: string }
  | { outcome: "not_found" | "no_session" | "session_expired" | "banned" | "already_used" };

/**
 * Exchanges a refresh token as Supabase Auth does (refresh-token rotation, algorithm v1): the
 * token is revoked and a child issued; the parent of the currently active token gets that token
 * again (a client that missed the answer); any other revoked token is honoured only within the
 * reuse interval, after which it revokes the whole session's tokens and is refused.
 */
export async function refreshSession(
  sql: Sql,
  token: string,
  reuseIntervalSeconds: number,
  userAgent: string | null,
): Promise<Refresh> {
  return await sql.begin(async (tx): Promise<Refresh> => {
    const [found] = await tx`
      select r.id, r.token, r.revoked, r.session_id::text as session_id, u.id::text as user_id,
        u.banned_until is not null and u.banned_until > now() as banned,
        s.id is not null as has_session,
        s.not_after is not null and s.not_after < now() as session_expired,
        r.updated_at + make_interval(secs => ${reuseIntervalSeconds}) < now() as reuse_expired
      from auth.refresh_tokens r
      join auth.users u on u.id::text = r.user_id and u.instance_id = ${instanceId}
      left join auth.sessions s on s.id = r.session_id
      where r.instance_id = ${instanceId} and r.token = ${token}
      for update of r`;
    if (!found) return { outcome: "not_found" };
    if (found.banned) return { outcome: "banned" };
    if (!found.has_session) return { outcome: "no_session" };
    if (found.session_expired) return { outcome: "session_expired" };
    await tx`select 1 from auth.sessions where id = ${found.session_id}::uuid for update`;

    let issued: string | null = null;
    if (found.revoked) {
      const [active] = await tx`
        select token, parent from auth.refresh_tokens
        where session_id = ${found.session_id}::uuid and revoked is false
        order by id desc limit 1`;
      if (active && active.parent === found.token) {
        issued = active.token as string;
      } else if (found.reuse_expired) {
        await tx`
          update auth.refresh_tokens set revoked = true, updated_at = now()
          where session_id = ${found.session_id}::uuid and revoked = false`;
        return { outcome: "already_used" };
      }
    }
    if (!issued) {
      issued = secureAlphanumeric(12);
      await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${found.id}`;
      await tx`
        insert into auth.refresh_tokens (
          instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id
        ) values (
          ${instanceId}, ${issued}, ${found.user_id}, false, now(), now(), ${found.token},
          ${found.session_id}::uuid
        )`;
    }
    await tx`
      update auth.sessions
      set refreshed_at = now() at time zone 'UTC', updated_at = now(), user_agent = ${userAgent}
      where id = ${found.session_id}::uuid`;
    return {
      outcome: "refreshed",
      userId: found.user_id as string,
      sessionId: found.session_id as string,
      refreshToken: issued,
    };
  });
}

export type LogoutScope = "global" | "local" | "others";

/** Ends sessions as /logout does: all the user's, this one, or all but this one. */
export async function endSessions(
  sql: Sql,
  userId: string,
  sessionId: string | null,
  scope: LogoutScope,
): Promise<void> {
  if (sessionId && scope === "local") {
    await sql`delete from auth.sessions where id = ${sessionId}::uuid`;
  } else if (sessionId && scope === "others") {
    await sql`delete from auth.sessions where id <> ${sessionId}::uuid and user_id = ${userId}::uuid`;
  } else {
    await sql`delete from auth.sessions where user_id = ${userId}::uuid`;
  }
}
