// Who is calling, as PostgREST decides behind hosted's API gateway (which has already checked the
// API key): the Bearer token, or the API key itself when there is no Authorization header (the
// gateway forwards it so), checked by the stack's one token checker; its `role` claim is the role.
// A refusal is worded as PostgREST words it, from the checker's reason.
import type { JwtClaims, TokenCheck } from "../jwt.ts";
import { jwtError } from "./errors.ts";

export interface Caller {
  /** The database role the request runs as. */
  role: string;
  /** The token's claims plus "role", as request.jwt.claims carries them. */
  claims: JwtClaims;
}

export type TokenChecker = (token: string) => Promise<TokenCheck>;

/** PostgREST's error for a token the checker refused, by the checker's reason. */
function refused(reason: string): never {
  const notANumber = reason.match(/^token is malformed: (exp|nbf|iat) is not a number$/);
  if (notANumber) jwtError("PGRST303", `The JWT '${notANumber[1]}' claim must be a number`);
  switch (reason) {
    case "token is malformed":
      jwtError("PGRST301", "JWT cryptographic operation failed");
      break;
    case "signing method none is invalid":
      jwtError(
        "PGRST301",
        "Wrong or unsupported encoding algorithm",
        "JWT is unsecured but expected 'alg' was not 'none'",
      );
      break;
    case "token is expired":
      jwtError("PGRST303", "JWT expired");
      break;
    case "token is not valid yet":
      jwtError("PGRST303", "JWT not yet valid");
  }
  // A forged signature, a key of the wrong type or an unknown key id.
  jwtError(
    "PGRST301",
    "No suitable key or wrong key type",
    "None of the keys was able to decode the JWT",
  );
}

/** The claim checks PostgREST makes beyond the checker's: `iat` not in the future, `aud` shape. */
function checkClaims(claims: JwtClaims, nowSeconds: number) {
  const clockSkewSeconds = 30;
  const iat = claims.iat;
  if (iat !== undefined && iat !== null) {
    if (typeof iat !== "number") jwtError("PGRST303", "The JWT 'iat' claim must be a number");
    if (nowSeconds + clockSkewSeconds < Math.trunc(iat)) {
      jwtError("PGRST303", "JWT issued at future");
    }
  }
  const aud = claims.aud;
  if (
    aud !== undefined && aud !== null && typeof aud !== "string" &&
    !(Array.isArray(aud) && aud.every((entry) => typeof entry === "string"))
  ) {
    jwtError("PGRST303", "The JWT 'aud' claim must be a string or an array of strings");
  }
}

/** wai's extractBearerAuth: "Bearer <token>", scheme case-insensitive; anything else is no token. */
function bearerToken(authorization: string): string | null {
  const match = authorization.match(/^(\S*)\s*([\s\S]*)$/)!;
  return match[1].toLowerCase() === "bearer" ? match[2] : null;
}

export async function authenticate(
  headers: Headers,
  queryApiKey: string | null,
  check: TokenChecker,
  anonRole = "anon",
): Promise<Caller> {
  const apiKey = headers.get("apikey") ?? queryApiKey;
  const authorization = headers.get("authorization") ??
    (apiKey === null ? null : `Bearer ${apiKey}`);
  const token = authorization === null ? null : bearerToken(authorization);
  let claims: JwtClaims = {};
  if (token !== null) {
    if (token === "") jwtError("PGRST301", "Empty JWT is sent in Authorization header");
    const parts = token.split(".").length;
    if (parts !== 3) jwtError("PGRST301", `Expected 3 parts in JWT; got ${parts}`);
    const result = await check(token);
    if (!result.valid) refused(result.reason);
    checkClaims(result.claims, Date.now() / 1000);
    claims = result.claims;
  }
  // A role claim that is not a string is used as its JSON text, as PostgREST does.
  const roleClaim = claims.role;
  const role = roleClaim === undefined
    ? anonRole
    : typeof roleClaim === "string"
    ? roleClaim
    : JSON.stringify(roleClaim);
  return { role, claims: { ...claims, role } };
}
