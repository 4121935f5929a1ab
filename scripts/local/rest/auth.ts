// Who is calling: first the API gateway's check that a project API key came with the request, then
// PostgREST's JWT handling (the Bearer token, or the API key when there is no Authorization
// header, as the gateway forwards it). Signatures and expiry are checked only by the stack's one
// verifier (context.verifyToken); this module only explains a rejection the way PostgREST words it.
import { jwtError } from "./errors.ts";

type Claims = Record<string, unknown>;

export interface Caller {
  /** The database role the request runs as. */
  role: string;
  /** The token's claims plus "role", as request.jwt.claims carries them. */
  claims: Claims;
}

export type Verifier = (token: string) => Promise<Claims | null>;

export type Authentication = { ok: true; caller: Caller } | { ok: false; response: Response };

/** The hosted gateway's own answers (not PostgREST's shape). */
function gatewayRefusal(message: string, hint: string): Authentication {
  return {
    ok: false,
    response: Response.json({ message, hint }, { status: 401 }),
  };
}

const apiKeyRoles = new Set(["anon", "service_role"]);
const clockSkewSeconds = 30;

function decodeSegment(segment: string): unknown {
  const base64 = segment.replaceAll("-", "+").replaceAll("_", "/");
  const bytes = Uint8Array.from(
    atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")),
    (c) => c.charCodeAt(0),
  );
  return JSON.parse(new TextDecoder().decode(bytes));
}

function tryDecode(segment: string): unknown {
  try {
    return decodeSegment(segment);
  } catch {
    return undefined;
  }
}

/** Why the verifier said no, in PostgREST's words (it cannot tell us, so we look, untrusted). */
function explainRejection(token: string, nowSeconds: number): never {
  const [headerPart, payloadPart] = token.split(".");
  const header = tryDecode(headerPart) as { alg?: unknown } | undefined;
  if (typeof header !== "object" || header === null) {
    jwtError("PGRST301", "JWT cryptographic operation failed");
  }
  if (header.alg === "none") {
    jwtError(
      "PGRST301",
      "Wrong or unsupported encoding algorithm",
      "JWT is unsecured but expected 'alg' was not 'none'",
    );
  }
  const payload = tryDecode(payloadPart) as { exp?: unknown } | undefined;
  if (typeof payload?.exp === "number" && payload.exp <= nowSeconds) {
    jwtError("PGRST303", "JWT expired");
  }
  jwtError(
    "PGRST301",
    "No suitable key or wrong key type",
    "None of the keys was able to decode the JWT",
  );
}

/** PostgREST's claim checks, in its order, with its 30 s of clock skew. */
function checkClaims(claims: Claims, nowSeconds: number) {
  const timeClaim = (
    name: string,
    invalid: (value: number) => boolean,
    message: string,
  ) => {
    const value = claims[name];
    if (value === undefined || value === null) return;
    if (typeof value !== "number") jwtError("PGRST303", `The JWT '${name}' claim must be a number`);
    if (invalid(Math.trunc(value))) jwtError("PGRST303", message);
  };
  timeClaim("exp", (exp) => nowSeconds - clockSkewSeconds > exp, "JWT expired");
  timeClaim("nbf", (nbf) => nowSeconds + clockSkewSeconds < nbf, "JWT not yet valid");
  timeClaim("iat", (iat) => nowSeconds + clockSkewSeconds < iat, "JWT issued at future");
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
  verify: Verifier,
  anonRole = "anon",
): Promise<Authentication> {
  const apiKey = headers.get("apikey") ?? queryApiKey;
  if (apiKey === null) {
    return gatewayRefusal(
      "No API key found in request",
      "No `apikey` request header or url param was found.",
    );
  }
  const keyClaims = await verify(apiKey);
  if (!keyClaims || !apiKeyRoles.has(keyClaims.role as string)) {
    return gatewayRefusal(
      "Invalid API key",
      "Double check your Supabase `anon` or `service_role` API key.",
    );
  }

  const authorization = headers.get("authorization") ?? `Bearer ${apiKey}`;
  const token = bearerToken(authorization);
  const nowSeconds = Date.now() / 1000;
  let claims: Claims = {};
  if (token !== null) {
    if (token === "") jwtError("PGRST301", "Empty JWT is sent in Authorization header");
    const parts = token.split(".").length;
    if (parts !== 3) jwtError("PGRST301", `Expected 3 parts in JWT; got ${parts}`);
    const verified = await verify(token);
    if (!verified) explainRejection(token, nowSeconds);
    checkClaims(verified, nowSeconds);
    claims = verified;
  }
  const roleClaim = claims.role;
  const role = roleClaim === undefined
    ? anonRole
    : typeof roleClaim === "string"
    ? roleClaim
    : JSON.stringify(roleClaim);
  return { ok: true, caller: { role, claims: { ...claims, role } } };
}
