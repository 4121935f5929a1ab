import assert from "node:assert/strict";
import { signedInUser, supabaseUserTokenVerifier } from "./user-token.ts";

const sub = "5b0c6a4e-1f7e-4c55-9a43-3d1f8d2b7e10";
const user = { sub, role: "authenticated", aud: "authenticated" };

Deno.test("verified claims are a signed-in user's only with role and audience authenticated and a user id", () => {
  assert.deepEqual(signedInUser(user), { outcome: "user", userId: sub, claims: user });
  assert.equal(signedInUser({ ...user, aud: ["authenticated", "other"] }).outcome, "user");
  const refused: [string, Record<string, unknown>][] = [
    ["another audience", { ...user, aud: "other" }],
    ["no audience", { sub, role: "authenticated" }],
    ["the anon key", { role: "anon", iss: "supabase-demo" }],
    ["the service key", { role: "service_role", iss: "supabase-demo" }],
    ["a service_role user token", { ...user, role: "service_role" }],
    ["no sub", { role: "authenticated", aud: "authenticated" }],
    ["a sub that is not a uuid", { ...user, sub: "1 or 1=1" }],
  ];
  for (const [name, claims] of refused) {
    assert.equal(signedInUser(claims).outcome, "refused", name);
  }
});

Deno.test("a verifier needs the project URL and key", () => {
  assert.throws(() => supabaseUserTokenVerifier("", "key"), /SUPABASE_URL/);
  assert.throws(() => supabaseUserTokenVerifier("http://127.0.0.1:9", ""), /SUPABASE_ANON_KEY/);
});

Deno.test("Auth out of reach is 'unavailable', not a refusal", async () => {
  const verify = supabaseUserTokenVerifier("http://127.0.0.1:9", "anon-key");
  // An HS256 token makes getClaims ask the Auth server, which is not listening.
  const legacy = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
    btoa(JSON.stringify({ ...user, exp: Math.floor(Date.now() / 1000) + 60 }))
      .replace(/=+$/, "") +
    ".c2ln";
  assert.equal((await verify(legacy)).outcome, "unavailable");
  assert.equal((await verify("not-a-jwt")).outcome, "refused");
});
