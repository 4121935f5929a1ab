import assert from "node:assert/strict";
import { signJwt, verifyJwt } from "./jwt.ts";

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
