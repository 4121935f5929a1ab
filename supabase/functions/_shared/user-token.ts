// Who a bearer token belongs to, verified the way Supabase recommends for functions that check
// their callers themselves (verify_jwt = false): supabase-js's auth.getClaims, which checks
// tokens signed with the project's asymmetric keys against its JWKS (fetched once and cached) and
// asks the Auth server (GET /auth/v1/user) about legacy HS256 ones. A token's claims are never
// trusted before that.
import { createClient, isAuthRetryableFetchError } from "@supabase/supabase-js";

export type UserVerification =
  | { outcome: "user"; userId: string; claims: Record<string, unknown> }
  /** Not a valid token of a signed-in user of this project; the reason is safe to log. */
  | { outcome: "refused"; reason: string }
  /** Auth could not be asked (network, 5xx): the caller may retry. */
  | { outcome: "unavailable"; reason: string };

export type UserTokenVerifier = (token: string) => Promise<UserVerification>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verified claims that are a signed-in user's: role and audience `authenticated` (getClaims does
 * not check the audience) and a user id. The anon and service_role keys are not users.
 */
export function signedInUser(claims: Record<string, unknown>): UserVerification {
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes("authenticated")) {
    return { outcome: "refused", reason: "the token is not for this project's users (aud)" };
  }
  if (claims.role !== "authenticated") {
    return { outcome: "refused", reason: "the token is not a signed-in user's (role)" };
  }
  if (typeof claims.sub !== "string" || !uuidPattern.test(claims.sub)) {
    return { outcome: "refused", reason: "the token names no user (sub)" };
  }
  return { outcome: "user", userId: claims.sub, claims };
}

/** A verifier for the project at supabaseUrl, calling Auth with the given API key (anon). */
export function supabaseUserTokenVerifier(supabaseUrl: string, apiKey: string): UserTokenVerifier {
  if (!supabaseUrl || !apiKey) throw new Error("SUPABASE_URL and SUPABASE_ANON_KEY must be set");
  // One client per function instance, so the JWKS is fetched once, not per request.
  const client = createClient(supabaseUrl, apiKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  return async (token) => {
    let result;
    try {
      result = await client.auth.getClaims(token);
    } catch {
      // getClaims throws, rather than answers, for tokens it cannot even parse (an unknown alg).
      return { outcome: "refused", reason: "the token could not be verified" };
    }
    if (result.error) {
      return isAuthRetryableFetchError(result.error)
        ? { outcome: "unavailable", reason: "Auth could not be reached" }
        : { outcome: "refused", reason: result.error.message };
    }
    if (!result.data) return { outcome: "refused", reason: "the token could not be verified" };
    return signedInUser(result.data.claims as Record<string, unknown>);
  };
}
