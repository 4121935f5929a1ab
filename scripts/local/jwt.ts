// HS256 JSON Web Tokens, as Supabase Auth signs them with the project's JWT secret. Used by the
// local gateway (verify_jwt) and by tests and scripts that need a user's or a role's token.
import { timingSafeEqual } from "node:crypto";

export type JwtClaims = Record<string, unknown>;

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(
    Math.ceil(text.length / 4) * 4,
    "=",
  );
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

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
  const header = base64url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  const signature = base64url(await hmac(secret, `${header}.${payload}`));
  return `${header}.${payload}.${signature}`;
}

/** Returns the claims of a valid, unexpired HS256 token, or null for anything else. */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSeconds = Date.now() / 1000,
): Promise<JwtClaims | null> {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts;
  try {
    const headerJson = JSON.parse(new TextDecoder().decode(fromBase64url(header)));
    if (headerJson?.alg !== "HS256") return null;
    const expected = await hmac(secret, `${header}.${payload}`);
    const given = fromBase64url(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return null;
    if (typeof claims.exp === "number" && claims.exp <= nowSeconds) return null;
    return claims as JwtClaims;
  } catch {
    return null;
  }
}
