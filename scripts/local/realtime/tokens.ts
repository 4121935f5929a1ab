// How Realtime judges a JWT (the socket's apikey, a channel's access_token): valid claims with
// `role` and `exp`, or one of Realtime's refusals. Whether a token is valid is decided only by the
// stack's verifier; the unverified header and claims are read only to name the refusal the way
// Realtime does (malformed, expired, bad signature).
import type { JwtClaims } from "../jwt.ts";

export type TokenRefusal =
  | { reason: "malformed"; message: string }
  | { reason: "expired"; message: string }
  | { reason: "signature"; message: string }
  | { reason: "missing_claims"; message: string };

export type TokenCheck =
  | { ok: true; claims: JwtClaims; exp: number }
  | (
    & { ok: false }
    & TokenRefusal
  );

export type TokenVerifier = (token: string) => Promise<JwtClaims | null>;

/** Realtime strips whitespace and URL-decodes a token before reading it. */
function cleanToken(token: string): string {
  let decoded = token;
  try {
    decoded = decodeURIComponent(token);
  } catch { /* kept as given */ }
  return decoded.replace(/\s/g, "");
}

function peek(part: string | undefined): Record<string, unknown> | null {
  if (!part) return null;
  try {
    const padded = part.replace(/-/g, "+").replace(/_/g, "/");
    const value = JSON.parse(new TextDecoder().decode(
      Uint8Array.from(
        atob(padded.padEnd(Math.ceil(padded.length / 4) * 4, "=")),
        (c) => c.charCodeAt(0),
      ),
    ));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

export const malformedTokenMessage = "The token provided is not a valid JWT";
export const missingClaimsMessage = "Fields `role` and `exp` are required in JWT";

export async function checkToken(
  verify: TokenVerifier,
  token: string,
  nowSeconds = () => Math.floor(Date.now() / 1000),
): Promise<TokenCheck> {
  const cleaned = cleanToken(token);
  const claims = await verify(cleaned);
  if (claims) {
    const exp = typeof claims.exp === "number" ? Math.round(claims.exp) : undefined;
    if (!("role" in claims) || exp === undefined) {
      return { ok: false, reason: "missing_claims", message: missingClaimsMessage };
    }
    return { ok: true, claims, exp };
  }
  const parts = cleaned.split(".");
  const header = peek(parts[0]);
  const unverified = peek(parts[1]);
  if (parts.length !== 3 || !header || !unverified) {
    return { ok: false, reason: "malformed", message: malformedTokenMessage };
  }
  const now = nowSeconds();
  if (typeof unverified.exp === "number" && unverified.exp <= now) {
    const ago = now - Math.round(unverified.exp);
    return { ok: false, reason: "expired", message: `Token has expired ${ago} seconds ago` };
  }
  return { ok: false, reason: "signature", message: "Failed to validate JWT signature" };
}
