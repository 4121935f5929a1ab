// The client APIs the local stack serves on the gateway's origin, beside /functions/v1, as hosted
// Supabase serves them on the project URL. Each service lives in its own module and is listed
// here once; the gateway routes every request under a service's prefix to it.
import type { ApiService } from "./gateway.ts";
import { databaseUrlAs } from "./config.ts";
import { checkJwt, type JwtClaims, type SigningKey, type TokenCheck } from "./jwt.ts";
import { authService } from "./auth/service.ts";
import { loadSigningKey } from "./auth/signing-key.ts";
import { createDataApi } from "./rest/service.ts";
import { realtimeService } from "./realtime/service.ts";

export interface ApiServiceContext {
  /** The stack's database, directly, as the project's `postgres` role (not a superuser). */
  databaseUrl: string;
  /**
   * The stack's database as one of the platform's service logins, as hosted's servers connect:
   * the Data API as `authenticator` (NOINHERIT: no rights until it switches to the JWT's role),
   * Auth as `supabase_auth_admin`.
   */
  databaseUrlAs(role: "authenticator" | "supabase_auth_admin"): string;
  /** The stack's API URL (what SUPABASE_URL is): Auth's issuer is `<apiUrl>/auth/v1`. */
  apiUrl: string;
  /**
   * The stack's database, directly, as the platform superuser supabase_admin: for what hosted
   * Supabase's own servers do with their platform roles (Realtime's replication slots and
   * partitions, say). Never hand it to project code.
   */
  platformDatabaseUrl: string;
  /** The stack's legacy HS256 JWT secret. */
  jwtSecret: string;
  /** The stack's asymmetric key: Auth signs user tokens with it and publishes it as a JWKS. */
  signingKey: SigningKey;
  /**
   * The claims of a token the stack's Auth would accept (signature, expiry), or null. Services
   * verify callers through this one function, never by decoding a token themselves.
   */
  verifyToken(token: string): Promise<JwtClaims | null>;
  /** The same check, with the reason a token is refused (Auth names it in its errors). */
  checkToken(token: string): Promise<TokenCheck>;
  log: (line: string) => void;
}

export function localApiServices(context: ApiServiceContext): Promise<ApiService[]> {
  return Promise.resolve([authService(context), createDataApi(context), realtimeService(context)]);
}

/**
 * How the stack's services check a caller's token: the one place that knows the stack's keys.
 * It accepts what hosted Supabase Auth accepts: ES256 tokens signed with the stack's signing key
 * (matched by `kid`) and legacy HS256 tokens signed with the JWT secret (the anon and
 * service_role keys among them).
 */
export function localTokenVerifier(
  jwtSecret: string,
  signingKey: SigningKey,
): (token: string) => Promise<JwtClaims | null> {
  const check = localTokenChecker(jwtSecret, signingKey);
  return async (token) => {
    const result = await check(token);
    return result.valid ? result.claims : null;
  };
}

/** localTokenVerifier's check, keeping the reason for a refusal. */
export function localTokenChecker(
  jwtSecret: string,
  signingKey: SigningKey,
): (token: string) => Promise<TokenCheck> {
  const keys = { jwtSecret, signingKeys: [signingKey] };
  return (token) => checkJwt(token, keys);
}

/** The context every local API service gets, for a stack described by its settings. */
export async function stackApiContext(settings: {
  databaseUrl: string;
  platformDatabaseUrl: string;
  apiUrl: string;
  jwtSecret: string;
  signingKeysFile: string;
  log: (line: string) => void;
}): Promise<ApiServiceContext> {
  const signingKey = await loadSigningKey(settings.signingKeysFile);
  return {
    databaseUrl: settings.databaseUrl,
    databaseUrlAs: (role) => databaseUrlAs(settings.databaseUrl, role),
    platformDatabaseUrl: settings.platformDatabaseUrl,
    apiUrl: settings.apiUrl,
    jwtSecret: settings.jwtSecret,
    signingKey,
    verifyToken: localTokenVerifier(settings.jwtSecret, signingKey),
    checkToken: localTokenChecker(settings.jwtSecret, signingKey),
    log: settings.log,
  };
}
