// JSON Web Tokens as Supabase Auth signs and checks them: legacy HS256 tokens signed with the
// project's JWT secret (the anon and service_role keys, old user tokens) and ES256 tokens signed
// with an asymmetric signing key and published in the JWKS (user tokens of current projects).
// Used by the local gateway, the Auth stand-in, and tests and scripts that need a token.
import { timingSafeEqual } from "node:crypto";

export type JwtClaims = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(
    Math.ceil(text.length / 4) * 4,
    "=",
  );
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

const encodeJson = (value: unknown) => base64url(encoder.encode(JSON.stringify(value)));

async function hmac(secret: string, data: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
}

export async function signJwt(claims: JwtClaims, secret: string): Promise<string> {
  const header = encodeJson({ alg: "HS256", typ: "JWT" });
  const payload = encodeJson(claims);
  const signature = base64url(await hmac(secret, `${header}.${payload}`));
  return `${header}.${payload}.${signature}`;
}

/**
 * An asymmetric JWT signing key (ES256 on P-256, what Supabase creates for new projects), with
 * the public half as the JWKS publishes it.
 */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JsonWebKey & { kid: string };
}

const es256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** Signs as Supabase Auth does with a signing key: header {"alg":"ES256","kid":...,"typ":"JWT"}. */
export async function signJwtEs256(claims: JwtClaims, key: SigningKey): Promise<string> {
  const header = encodeJson({ alg: "ES256", kid: key.kid, typ: "JWT" });
  const payload = encodeJson(claims);
  const signature = await crypto.subtle.sign(
    es256,
    key.privateKey,
    encoder.encode(`${header}.${payload}`),
  );
  return `${header}.${payload}.${base64url(new Uint8Array(signature))}`;
}

export type TokenCheck =
  | { valid: true; claims: JwtClaims; header: JwtClaims }
  | { valid: false; reason: string };

const refused = (reason: string): TokenCheck => ({ valid: false, reason });

function expiryProblem(claims: JwtClaims, nowSeconds: number): string | null {
  for (const name of ["exp", "nbf", "iat"]) {
    if (claims[name] !== undefined && typeof claims[name] !== "number") {
      return `token is malformed: ${name} is not a number`;
    }
  }
  if (typeof claims.exp === "number" && claims.exp <= nowSeconds) return "token is expired";
  if (typeof claims.nbf === "number" && claims.nbf > nowSeconds) return "token is not valid yet";
  return null;
}

/**
 * Checks a token the way Supabase Auth does (supabase/auth parseJWTClaims): only HS256 and the
 * signing key's ES256 are accepted; a `kid` naming the signing key selects it, and anything else
 * signed HS256 is checked against the JWT secret; then expiry. `alg: none`, an unknown key id on
 * an asymmetric token, a forged signature and an HS256 token claiming the signing key's id are
 * all refused, with the reason.
 */
export async function checkJwt(
  token: string,
  keys: { jwtSecret: string; signingKeys: readonly SigningKey[] },
  nowSeconds = Date.now() / 1000,
): Promise<TokenCheck> {
  const parts = token.split(".");
  if (parts.length !== 3) return refused("token is malformed");
  const [rawHeader, rawPayload, rawSignature] = parts;
  let header: JwtClaims;
  let claims: JwtClaims;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    header = JSON.parse(decoder.decode(fromBase64url(rawHeader)));
    claims = JSON.parse(decoder.decode(fromBase64url(rawPayload)));
    signature = fromBase64url(rawSignature);
  } catch {
    return refused("token is malformed");
  }
  for (const part of [header, claims]) {
    if (typeof part !== "object" || part === null || Array.isArray(part)) {
      return refused("token is malformed");
    }
  }
  const signed = encoder.encode(`${rawHeader}.${rawPayload}`);
  const signingKey = typeof header.kid === "string"
    ? keys.signingKeys.find((key) => key.kid === header.kid)
    : undefined;

  if (header.alg !== "HS256" && header.alg !== "ES256") {
    return refused(`signing method ${String(header.alg)} is invalid`);
  }
  if (signingKey) {
    if (header.alg !== "ES256") return refused("key is of invalid type");
    const ok = signature.length === 64 &&
      await crypto.subtle.verify(es256, signingKey.publicKey, signature, signed);
    if (!ok) return refused("signature is invalid");
  } else if (header.alg === "HS256") {
    const expected = await hmac(keys.jwtSecret, `${rawHeader}.${rawPayload}`);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return refused("signature is invalid");
    }
  } else {
    return refused(`unrecognized JWT kid ${String(header.kid)} for algorithm ${header.alg}`);
  }
  const problem = expiryProblem(claims, nowSeconds);
  return problem ? refused(problem) : { valid: true, claims, header };
}

/**
 * The claims of a valid, unexpired HS256 token signed with the secret, or null: the legacy check
 * that the functions gateway's verify_jwt performs.
 */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSeconds = Date.now() / 1000,
): Promise<JwtClaims | null> {
  const check = await checkJwt(token, { jwtSecret: secret, signingKeys: [] }, nowSeconds);
  return check.valid ? check.claims : null;
}
