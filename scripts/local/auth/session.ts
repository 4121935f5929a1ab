// Access tokens and session answers as Supabase Auth issues them: ES256 JWTs signed with the
// stack's key, carrying the claims GoTrue puts in every user token, valid for an hour (the
// default JWT expiry), answered as {access_token, token_type, expires_in, expires_at,
// refresh_token, user}.
import type postgres from "postgres";
import { type JwtClaims, type SigningKey, signJwtEs256 } from "../jwt.ts";
import { findUserById, sessionMethods, startSession, type User } from "./store.ts";

/** GOTRUE_JWT_EXP's default, which hosted projects keep unless changed. */
export const accessTokenSeconds = 3600;

export interface Issuer {
  /** The `iss` claim: the project's Auth URL, `<SUPABASE_URL>/auth/v1`. */
  url: string;
  key: SigningKey;
}

/** The Auth of the project at apiUrl (SUPABASE_URL) signing with key. */
export function authIssuer(apiUrl: string, key: SigningKey): Issuer {
  return { url: `${apiUrl}/auth/v1`, key };
}

export interface SessionAnswer {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: User;
}

/** The claims of a user's access token, in the order GoTrue writes them. */
export function accessTokenClaims(
  user: User,
  sessionId: string,
  methods: { method: string; timestamp: number }[],
  issuer: string,
  issuedAt: number,
): JwtClaims {
  return {
    iss: issuer,
    sub: user.id,
    aud: user.aud,
    exp: issuedAt + accessTokenSeconds,
    iat: issuedAt,
    email: user.email,
    phone: user.phone,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
    role: user.role,
    aal: "aal1",
    amr: methods,
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  };
}

/** A fresh access token for the session, and the answer the token endpoint gives. */
export async function sessionAnswer(
  sql: postgres.Sql,
  issuer: Issuer,
  user: User,
  sessionId: string,
  refreshToken: string,
): Promise<SessionAnswer> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const claims = accessTokenClaims(
    user,
    sessionId,
    await sessionMethods(sql, sessionId),
    issuer.url,
    issuedAt,
  );
  return {
    access_token: await signJwtEs256(claims, issuer.key),
    token_type: "bearer",
    expires_in: accessTokenSeconds,
    expires_at: issuedAt + accessTokenSeconds,
    refresh_token: refreshToken,
    user,
  };
}

/**
 * Signs the user in without asking for a credential: a new session and its tokens, exactly as a
 * password sign-in issues them. The token endpoint calls it once the password matched; tests
 * call it to act as a user created in SQL.
 */
export async function signInAs(
  sql: postgres.Sql,
  issuer: Issuer,
  userId: string,
  method = "password",
  userAgent: string | null = null,
): Promise<SessionAnswer> {
  if (!await findUserById(sql, userId)) {
    throw new Error(`no user ${userId} in auth.users (instance 00000000-…)`);
  }
  const grant = await startSession(sql, userId, method, userAgent);
  // Read again: the sign-in set last_sign_in_at.
  const { user } = (await findUserById(sql, userId))!;
  return await sessionAnswer(sql, issuer, user, grant.sessionId, grant.refreshToken);
}
