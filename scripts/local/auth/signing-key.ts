// The stack's JWT signing key: an ES256 key pair generated the first time a stack needs it and
// kept in the stack's own directory (mode 0600), in the format of the Supabase CLI's
// `signing_keys_path` file (a JSON array of private JWKs). Only the public half ever leaves the
// file: through the JWKS. Delete the file to rotate the key; tokens it signed stop verifying.
import { dirname, join } from "node:path";
import type { SigningKey } from "../jwt.ts";

const es256 = { name: "ECDSA", namedCurve: "P-256" } as const;

async function fromPrivateJwk(jwk: JsonWebKey & { kid?: unknown }): Promise<SigningKey> {
  if (typeof jwk.kid !== "string" || jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d) {
    throw new Error("not an ES256 private key");
  }
  const privateKey = await crypto.subtle.importKey("jwk", jwk, es256, false, ["sign"]);
  const { x, y } = jwk;
  const publicJwk = {
    alg: "ES256",
    crv: "P-256",
    ext: true,
    key_ops: ["verify"],
    kid: jwk.kid,
    kty: "EC",
    use: "sig",
    x,
    y,
  };
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty: "EC", crv: "P-256", x, y },
    es256,
    true,
    [
      "verify",
    ],
  );
  return { kid: jwk.kid, privateKey, publicKey, publicJwk };
}

async function newPrivateJwk(): Promise<JsonWebKey> {
  const pair = await crypto.subtle.generateKey(es256, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return {
    kty: "EC",
    kid: crypto.randomUUID(),
    use: "sig",
    key_ops: ["sign", "verify"],
    alg: "ES256",
    ext: true,
    crv: jwk.crv,
    x: jwk.x,
    y: jwk.y,
    d: jwk.d,
  } as JsonWebKey;
}

/** A new key, in memory only: another project's key, as far as the stack is concerned. */
export async function generateSigningKey(): Promise<SigningKey> {
  return await fromPrivateJwk(await newPrivateJwk());
}

async function readKeyFile(path: string): Promise<SigningKey> {
  let keys: unknown;
  try {
    keys = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw error;
    // Never echo the file: it holds the private key.
    throw new Error(`${path} is not a JSON array of signing keys; delete it to get a new key`);
  }
  if (!Array.isArray(keys) || keys.length !== 1) {
    throw new Error(`${path} must hold exactly one signing key; delete it to get a new key`);
  }
  try {
    return await fromPrivateJwk(keys[0]);
  } catch {
    throw new Error(`${path} does not hold an ES256 private key; delete it to get a new key`);
  }
}

/**
 * The signing key stored at path, created first when there is none. Concurrent callers (the
 * gateway and a test, say) end up with the same key: the file appears whole or not at all.
 */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  try {
    const key = await readKeyFile(path);
    await Deno.chmod(path, 0o600);
    return key;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const draft = join(dirname(path), `.signing-keys-${crypto.randomUUID()}.tmp`);
  await Deno.writeTextFile(draft, JSON.stringify([await newPrivateJwk()]) + "\n", {
    createNew: true,
    mode: 0o600,
  });
  try {
    await Deno.link(draft, path);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  } finally {
    await Deno.remove(draft);
  }
  return await readKeyFile(path);
}
