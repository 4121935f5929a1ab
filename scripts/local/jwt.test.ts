import assert from "node:assert/strict";
import { base64url, checkJwt, signJwt, signJwtEs256, verifyJwt } from "./jwt.ts";
import { generateSigningKey } from "./auth/signing-key.ts";

const secret = "super-secret-jwt-token-with-at-least-32-characters-long";

Deno.test("signs the Supabase CLI's well-known local anon key", async () => {
  assert.deepEqual(
    await signJwt({ iss: "supabase-demo", role: "anon", exp: 1983812996 }, secret),
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0",
  );
});

Deno.test("verifies signature, algorithm and expiry", async () => {
  const token = await signJwt({ sub: "u1", exp: 2000 }, secret);
  assert.deepEqual((await verifyJwt(token, secret, 1000))?.sub, "u1");
  assert.deepEqual(await verifyJwt(token, secret, 2000), null, "expired");
  assert.deepEqual(await verifyJwt(token, "another-secret", 1000), null, "wrong secret");
  const [, payload, signature] = token.split(".");
  const none = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
  assert.deepEqual(
    await verifyJwt(`${none}.${payload}.${signature}`, secret, 1000),
    null,
    "alg none",
  );
  assert.deepEqual(await verifyJwt("not.a.jwt", secret), null);
  assert.deepEqual(await verifyJwt("", secret), null);
});

Deno.test("checkJwt accepts the signing key's ES256 tokens and legacy HS256 ones, as Supabase Auth does", async () => {
  const key = await generateSigningKey();
  const keys = { jwtSecret: secret, signingKeys: [key] };
  const claims = { sub: "u1", exp: 2000 };
  const es256 = await signJwtEs256(claims, key);
  const hs256 = await signJwt(claims, secret);
  assert.deepEqual(await checkJwt(es256, keys, 1000), {
    valid: true,
    claims,
    header: { alg: "ES256", kid: key.kid, typ: "JWT" },
  });
  assert.equal((await checkJwt(hs256, keys, 1000)).valid, true);
  assert.deepEqual(await checkJwt(es256, keys, 2000), { valid: false, reason: "token is expired" });
  assert.deepEqual(await checkJwt(hs256, keys, 2000), { valid: false, reason: "token is expired" });
});

Deno.test("checkJwt refuses alg none, forgeries, unknown keys and algorithm confusion, with the reason", async () => {
  const key = await generateSigningKey();
  const other = await generateSigningKey();
  const keys = { jwtSecret: secret, signingKeys: [key] };
  const claims = { sub: "u1", exp: 2000 };
  const encode = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
  const [, payload, signature] = (await signJwtEs256(claims, key)).split(".");
  const reasonOf = async (token: string) => {
    const check = await checkJwt(token, keys, 1000);
    return check.valid ? "accepted" : check.reason;
  };
  assert.equal(
    await reasonOf(`${encode({ alg: "none", typ: "JWT" })}.${payload}.`),
    "signing method none is invalid",
  );
  assert.equal(
    await reasonOf(
      `${encode({ alg: "ES256", kid: key.kid })}.${encode({ sub: "u2" })}.${signature}`,
    ),
    "signature is invalid",
  );
  assert.equal(
    await reasonOf(await signJwtEs256(claims, other)),
    `unrecognized JWT kid ${other.kid} for algorithm ES256`,
  );
  assert.equal(
    await reasonOf(await signJwtEs256(claims, { ...other, kid: key.kid })),
    "signature is invalid",
  );
  // An HS256 token naming the asymmetric key's id must not be checked as HMAC with anything.
  const [, hsPayload, hsSignature] = (await signJwt(claims, secret)).split(".");
  assert.equal(
    await reasonOf(
      `${encode({ alg: "HS256", kid: key.kid, typ: "JWT" })}.${hsPayload}.${hsSignature}`,
    ),
    "key is of invalid type",
  );
  assert.equal(await reasonOf(await signJwt(claims, "another-secret")), "signature is invalid");
  assert.equal(
    await reasonOf(await signJwt({ exp: "never" }, secret)),
    "token is malformed: exp is not a number",
  );
  assert.equal(await reasonOf(await signJwt({ nbf: 1500 }, secret)), "token is not valid yet");
  assert.equal(await reasonOf("a.b"), "token is malformed");
  assert.equal(await reasonOf("!!.??.**"), "token is malformed");
});
