// How Realtime judges a JWT (the socket's apikey, a channel's access_token): valid claims with
// `role` and `exp`, or one of Realtime's refusals. Whether a token is valid is decided only by the
// stack's token check (ApiServiceContext.checkToken); its reason picks Realtime's wording.
import type { JwtClaims, TokenCheck as StackTokenCheck } from "../jwt.ts";

export type TokenRefusal = {
  reason: "malformed" | "expired" | "signature" | "signer" | "missing_claims";
  message: string;
};

export type TokenCheck =
  | { ok: true; claims: JwtClaims; exp: number }
  | (
    & { ok: false }
    & TokenRefusal
  );

export type StackTokenChecker = (token: string) => Promise<StackTokenCheck>;

/** Realtime strips whitespace and URL-decodes a token before reading it. */
function cleanToken(token: string): string {
  let decoded = token;
  try {
    decoded = decodeURIComponent(token);
  } catch { /* kept as given */ }
  return decoded.replace(/\s/g, "");
}

/** The expiry of a token the stack found valid but for its age. */
function expiryOf(token: string): number | null {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
    return typeof claims.exp === "number" ? Math.round(claims.exp) : null;
  } catch {
    return null;
  }
}

export const missingClaimsMessage = "Fields `role` and `exp` are required in JWT";

export async function checkToken(
  check: StackTokenChecker,
  token: string,
  nowSeconds = () => Math.floor(Date.now() / 1000),
): Promise<TokenCheck> {
  const cleaned = cleanToken(token);
  const result = await check(cleaned);
  if (result.valid) {
    const claims = result.claims;
    const exp = typeof claims.exp === "number" ? Math.round(claims.exp) : undefined;
    if (!("role" in claims) || exp === undefined) {
      return { ok: false, reason: "missing_claims", message: missingClaimsMessage };
    }
    return { ok: true, claims, exp };
  }
  if (result.reason.startsWith("token is malformed")) {
    return { ok: false, reason: "malformed", message: "The token provided is not a valid JWT" };
  }
  if (result.reason === "token is expired") {
    const exp = expiryOf(cleaned) ?? nowSeconds();
    return {
      ok: false,
      reason: "expired",
      message: `Token has expired ${nowSeconds() - exp} seconds ago`,
    };
  }
  if (/^(signing method|unrecognized JWT kid|key is of invalid type)/.test(result.reason)) {
    return {
      ok: false,
      reason: "signer",
      message: "Failed to generate JWT signer, check your JWT secret or JWKS configuration",
    };
  }
  return { ok: false, reason: "signature", message: "Failed to validate JWT signature" };
}
