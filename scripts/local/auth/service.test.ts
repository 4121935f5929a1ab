// The Auth stand-in through the gateway, driven by the real, unmodified supabase-js client as a
// frontend and an admin script would drive hosted Auth: users created with the service key,
// password sign-in, getUser, getClaims (JWKS for ES256, GET /user for legacy HS256 tokens),
// refresh-token rotation, sign-out, invite links, an invited person choosing a password
// (updateUser), and GoTrue's answers to bad input.
import assert from "node:assert/strict";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import {
  connect,
  legacyUserToken,
  stackSigningKey,
  startTestApi,
  testStack,
} from "../../../supabase/functions/tests/_support/stack.ts";
import { base64url, type JwtClaims, signJwt, signJwtEs256 } from "../jwt.ts";
import { generateSigningKey } from "./signing-key.ts";
import { devDashboardPort } from "../dashboard.ts";

const stack = testStack();
const sql = connect(stack);
const password = "correct horse battery staple";
/** config.toml's [auth] site_url: the dashboard `npm start` serves, where invite links land. */
const siteUrl = `http://127.0.0.1:${devDashboardPort}`;

interface Api {
  url: string;
  /** What a frontend holds: the anon key, and requests it sent (path and query only). */
  client: (options?: { recordTo?: string[] }) => SupabaseClient;
  admin: SupabaseClient;
}

function supabase(url: string, key: string, recordTo?: string[]): SupabaseClient {
  return createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: recordTo
      ? {
        fetch: (input, init) => {
          const target = new URL(input instanceof Request ? input.url : String(input));
          recordTo.push(`${init?.method ?? "GET"} ${target.pathname}`);
          return fetch(input, init);
        },
      }
      : {},
  });
}

async function withApi(body: (api: Api) => Promise<void>) {
  const gateway = await startTestApi();
  try {
    await body({
      url: gateway.url,
      client: (options = {}) => supabase(gateway.url, stack.anonKey, options.recordTo),
      admin: supabase(gateway.url, stack.serviceRoleKey),
    });
  } finally {
    await gateway.close();
  }
}

const newEmail = (label: string) => `${label}-${crypto.randomUUID()}@Example.test`;

async function createConfirmedUser(api: Api, email = newEmail("user")) {
  const { data, error } = await api.admin.auth.admin.createUser({
    email,
    password,
    email_confirm: true,
  });
  assert.equal(error, null);
  return data.user!;
}

function decode(token: string): { header: JwtClaims; claims: JwtClaims } {
  const [header, claims] = token.split(".").slice(0, 2).map((part) =>
    JSON.parse(new TextDecoder().decode(
      Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
    ))
  );
  return { header, claims };
}

/** A raw call, as a client that is not supabase-js might make it. */
async function call(
  url: string,
  path: string,
  init: RequestInit & { apikey?: string | null; version?: boolean } = {},
) {
  const headers = new Headers(init.headers);
  if (init.apikey !== null) headers.set("apikey", init.apikey ?? stack.anonKey);
  if (init.version !== false) headers.set("x-supabase-api-version", "2024-01-01");
  const response = await fetch(`${url}/auth/v1${path}`, { ...init, headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* plain text */ }
  // deno-lint-ignore no-explicit-any
  return { status: response.status, headers: response.headers, body: body as Record<string, any> };
}

Deno.test("a user created with the service key signs in with the password; getUser and getClaims verify the ES256 token", async () => {
  await withApi(async (api) => {
    const email = newEmail("member");
    const { data: created, error: createError } = await api.admin.auth.admin.createUser({
      email,
      password,
      email_confirm: true,
      user_metadata: { name: "Member" },
      app_metadata: { agency_admin: false },
    });
    assert.equal(createError, null);
    const user = created.user!;
    assert.equal(user.email, email.toLowerCase(), "emails are stored lower-cased");
    assert.deepEqual(user.app_metadata, {
      provider: "email",
      providers: ["email"],
      agency_admin: false,
    });
    assert.deepEqual(user.user_metadata, { name: "Member", email_verified: true });
    assert.equal(user.role, "authenticated");
    assert.equal(user.aud, "authenticated");
    assert.ok(user.email_confirmed_at);
    assert.deepEqual(user.identities?.map((identity) => identity.provider), ["email"]);

    const [row] = await sql`
      select encrypted_password, instance_id::text from auth.users where id = ${user.id}`;
    assert.match(row.encrypted_password, /^\$2a\$10\$.{53}$/, "bcrypt, cost 10, as GoTrue");
    assert.equal(row.instance_id, "00000000-0000-0000-0000-000000000000");

    const requests: string[] = [];
    const client = api.client({ recordTo: requests });
    const { data: signedIn, error } = await client.auth.signInWithPassword({ email, password });
    assert.equal(error, null);
    const session = signedIn.session!;
    assert.equal(session.token_type, "bearer");
    assert.equal(session.expires_in, 3600);
    assert.equal(signedIn.user?.id, user.id);

    const { header, claims } = decode(session.access_token);
    const key = await stackSigningKey();
    assert.deepEqual(header, { alg: "ES256", kid: key.kid, typ: "JWT" });
    assert.deepEqual(Object.keys(claims), [
      "iss",
      "sub",
      "aud",
      "exp",
      "iat",
      "email",
      "phone",
      "app_metadata",
      "user_metadata",
      "role",
      "aal",
      "amr",
      "session_id",
      "is_anonymous",
    ]);
    assert.equal(claims.iss, `${stack.apiUrl}/auth/v1`);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.aud, "authenticated");
    assert.equal(claims.role, "authenticated");
    assert.equal(claims.aal, "aal1");
    assert.equal((claims.amr as { method: string }[])[0].method, "password");
    assert.equal(claims.is_anonymous, false);
    const [stored] = await sql`select user_id::text from auth.sessions where id = ${
      String(claims.session_id)
    }::uuid`;
    assert.equal(stored.user_id, user.id, "the token names a stored session");

    const { data: fetched, error: userError } = await client.auth.getUser();
    assert.equal(userError, null);
    assert.equal(fetched.user?.id, user.id);

    requests.length = 0;
    const { data: verified, error: claimsError } = await client.auth.getClaims(
      session.access_token,
    );
    assert.equal(claimsError, null);
    assert.equal(verified?.claims.sub, user.id);
    assert.deepEqual(requests, ["GET /auth/v1/.well-known/jwks.json"], "verified with the JWKS");

    const { data: byId } = await api.admin.auth.admin.getUserById(user.id);
    assert.equal(byId.user?.email, email.toLowerCase());
    const { data: listed } = await api.admin.auth.admin.listUsers({ page: 1, perPage: 1000 });
    assert.ok(listed.users.some((candidate) => candidate.id === user.id));
  });
});

Deno.test("the JWKS publishes the stack's public key only, without an API key", async () => {
  await withApi(async (api) => {
    const { status, headers, body } = await call(api.url, "/.well-known/jwks.json", {
      apikey: null,
    });
    assert.equal(status, 200);
    assert.equal(headers.get("cache-control"), "public, max-age=600");
    const key = await stackSigningKey();
    assert.deepEqual(body, { keys: [key.publicJwk] });
    assert.deepEqual(
      Object.keys(body.keys[0]).sort(),
      ["alg", "crv", "ext", "key_ops", "kid", "kty", "use", "x", "y"],
      "no private part",
    );
  });
});

Deno.test("a legacy HS256 user token is answered by GET /user, so getClaims accepts it", async () => {
  await withApi(async (api) => {
    const [{ id }] = await sql`select tests.create_user(${newEmail("legacy")})::text as id`;
    const requests: string[] = [];
    const client = api.client({ recordTo: requests });
    const { data, error } = await client.auth.getClaims(await legacyUserToken(id));
    assert.equal(error, null);
    assert.equal(data?.claims.sub, id);
    assert.deepEqual(requests, ["GET /auth/v1/user"], "HS256 is checked by the Auth server");
  });
});

Deno.test("refreshSession rotates the refresh token as GoTrue does", async () => {
  await withApi(async (api) => {
    const user = await createConfirmedUser(api);
    const client = api.client();
    const { data } = await client.auth.signInWithPassword({ email: user.email!, password });
    const first = data.session!;

    const { data: refreshed, error } = await client.auth.refreshSession({
      refresh_token: first.refresh_token,
    });
    assert.equal(error, null);
    const second = refreshed.session!;
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.match(second.refresh_token, /^[a-z2-7]{12}$/);
    assert.equal(
      decode(second.access_token).claims.session_id,
      decode(first.access_token).claims.session_id,
      "the same session",
    );
    const rows = await sql`
      select token, parent, revoked from auth.refresh_tokens
      where session_id = ${String(decode(first.access_token).claims.session_id)}::uuid
      order by id`;
    assert.deepEqual(rows.map((row) => [row.token, row.parent, row.revoked]), [
      [first.refresh_token, null, true],
      [second.refresh_token, first.refresh_token, false],
    ]);

    const refresh = (token: string) =>
      call(api.url, "/token?grant_type=refresh_token", {
        method: "POST",
        body: JSON.stringify({ refresh_token: token }),
      });
    const again = await refresh(first.refresh_token);
    assert.equal(again.status, 200, "the parent of the active token gets that token again");
    assert.equal(again.body.refresh_token, second.refresh_token);

    // An older revoked token, no longer the active token's parent: refused once 10 s have passed
    // since it was revoked, and then the whole session's tokens are revoked.
    await refresh(second.refresh_token);
    await sql`
      update auth.refresh_tokens set updated_at = now() - interval '11 seconds'
      where token = ${first.refresh_token}`;
    const reused = await refresh(first.refresh_token);
    assert.equal(reused.status, 400);
    assert.deepEqual(reused.body, {
      code: "refresh_token_already_used",
      message: "Invalid Refresh Token: Already Used",
    });
    const [{ active }] = await sql`
      select count(*)::int as active from auth.refresh_tokens
      where session_id = ${String(decode(first.access_token).claims.session_id)}::uuid
        and not revoked`;
    assert.equal(active, 0, "reuse after the interval revokes the whole session's tokens");

    // Within the 10 s, the same reuse is honoured (concurrent tabs): a new token is issued.
    const { data: other } = await client.auth.signInWithPassword({
      email: user.email!,
      password,
    });
    const a = other.session!.refresh_token;
    const b = (await refresh(a)).body.refresh_token as string;
    const c = (await refresh(b)).body.refresh_token as string;
    const withinInterval = await refresh(a);
    assert.equal(withinInterval.status, 200);
    assert.notEqual(withinInterval.body.refresh_token, c);

    const { error: unknown } = await client.auth.refreshSession({ refresh_token: "nosuchtoken1" });
    assert.equal(unknown?.status, 400);
    assert.equal(unknown?.code, "refresh_token_not_found");
  });
});

Deno.test("signOut ends the session: its token no longer gets the user, its refresh token no longer refreshes", async () => {
  await withApi(async (api) => {
    const user = await createConfirmedUser(api);
    const client = api.client();
    const { data } = await client.auth.signInWithPassword({ email: user.email!, password });
    const session = data.session!;
    const { error } = await client.auth.signOut();
    assert.equal(error, null);
    const [{ count }] = await sql`
      select count(*)::int from auth.sessions where user_id = ${user.id}::uuid`;
    assert.equal(count, 0);

    const { error: userError } = await api.client().auth.getUser(session.access_token);
    assert.equal(userError?.name, "AuthSessionMissingError", "403 session_not_found");
    const refreshed = await api.client().auth.refreshSession({
      refresh_token: session.refresh_token,
    });
    assert.equal(refreshed.error?.code, "refresh_token_not_found");
    // As on hosted: an ES256 token is verified offline, so it stays valid until it expires.
    const { error: claimsError } = await api.client().auth.getClaims(session.access_token);
    assert.equal(claimsError, null);
  });
});

Deno.test("sign-in refusals carry GoTrue's codes: wrong password, unknown email, unconfirmed email", async () => {
  await withApi(async (api) => {
    const user = await createConfirmedUser(api);
    const client = api.client();
    const wrong = await client.auth.signInWithPassword({
      email: user.email!,
      password: "not the password",
    });
    assert.equal(wrong.error?.status, 400);
    assert.equal(wrong.error?.code, "invalid_credentials");
    assert.equal(wrong.error?.message, "Invalid login credentials");
    const unknown = await client.auth.signInWithPassword({
      email: newEmail("nobody"),
      password,
    });
    assert.equal(unknown.error?.code, "invalid_credentials");
    const tooLong = await client.auth.signInWithPassword({
      email: user.email!,
      password: password + "x".repeat(72),
    });
    assert.equal(tooLong.error?.code, "invalid_credentials", "bcrypt's 72-byte limit");

    const { data } = await api.admin.auth.admin.createUser({
      email: newEmail("unconfirmed"),
      password,
    });
    const unconfirmed = await client.auth.signInWithPassword({
      email: data.user!.email!,
      password,
    });
    assert.equal(unconfirmed.error?.code, "email_not_confirmed");
  });
});

Deno.test("bad requests get GoTrue's errors, in the shape the API version asks for", async () => {
  await withApi(async (api) => {
    const token = (grant: string, body: string, version = true) =>
      call(api.url, `/token?grant_type=${grant}`, { method: "POST", body, version });
    const malformed = await token("password", "{not json");
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, "bad_json");
    assert.match(malformed.body.message, /^Could not parse request body as JSON/);
    assert.equal(malformed.headers.get("x-sb-error-code"), "bad_json");
    assert.equal(malformed.headers.get("x-supabase-api-version"), "2024-01-01");

    const legacyShape = await token("password", "[]", false);
    assert.equal(legacyShape.status, 400);
    assert.equal(legacyShape.body.code, 400);
    assert.equal(legacyShape.body.error_code, "bad_json");
    assert.equal(typeof legacyShape.body.msg, "string");

    const wrongType = await token("password", JSON.stringify({ email: 42, password }));
    assert.equal(wrongType.body.code, "bad_json");

    const unknownGrant = await token("magic", "{}");
    assert.deepEqual([unknownGrant.status, unknownGrant.body], [400, {
      code: "invalid_credentials",
      message: "unsupported_grant_type",
    }]);

    const noRefreshToken = await token("refresh_token", "{}");
    assert.deepEqual([noRefreshToken.status, noRefreshToken.body], [400, {
      error: "invalid_request",
      error_description: "refresh_token required",
    }]);

    const missingEmail = await token("password", JSON.stringify({ password }));
    assert.deepEqual(missingEmail.body, {
      code: "validation_failed",
      message: "missing email or phone",
    });

    const huge = await token(
      "password",
      JSON.stringify({ email: "a@example.test", password: "x".repeat(1 << 20) }),
    );
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, "request_entity_too_large");

    // None of it hurt the service: the next sign-in works.
    const user = await createConfirmedUser(api);
    const { error } = await api.client().auth.signInWithPassword({ email: user.email!, password });
    assert.equal(error, null);
  });
});

Deno.test("features the stand-in does not offer answer 501 and name the feature", async () => {
  await withApi(async (api) => {
    const signUp = await api.client().auth.signUp({ email: newEmail("signup"), password });
    assert.equal(signUp.error?.status, 501);
    assert.match(signUp.error!.message, /sign-up .* not supported by the local Auth stand-in/);
    const pkce = await call(api.url, "/token?grant_type=pkce", { method: "POST", body: "{}" });
    assert.equal(pkce.status, 501);
    assert.match(pkce.body.message, /grant_type=pkce/);
    const phone = await api.admin.auth.admin.createUser({ phone: "+15550100", password });
    assert.equal(phone.error?.status, 501);
    assert.match(phone.error!.message, /"phone"/);
    const nowhere = await call(api.url, "/no-such-endpoint");
    assert.equal(nowhere.status, 404);
  });
});

Deno.test("the API gateway asks for the project's API key, as hosted's does", async () => {
  await withApi(async (api) => {
    const missing = await call(api.url, "/user", { apikey: null });
    assert.deepEqual([missing.status, missing.body], [401, {
      message: "No API key found in request",
      hint: "No `apikey` request header or url param was found.",
    }]);
    const wrong = await call(api.url, "/user", { apikey: await legacyUserToken("x") });
    assert.deepEqual([wrong.status, wrong.body.message], [401, "Invalid API key"]);
    const inQuery = await call(api.url, `/health?apikey=${stack.anonKey}`, { apikey: null });
    assert.equal(inQuery.status, 200);
  });
});

Deno.test("GET /user refuses bad tokens as GoTrue does", async () => {
  await withApi(async (api) => {
    const [{ id }] = await sql`select tests.create_user(${newEmail("tokens")})::text as id`;
    const key = await stackSigningKey();
    const otherKey = await generateSigningKey();
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: id, role: "authenticated", aud: "authenticated", exp: now + 600 };
    const [, payload, signature] = (await signJwtEs256(claims, key)).split(".");
    const noneHeader = base64url(new TextEncoder().encode('{"alg":"none","typ":"JWT"}'));
    const forgedPayload = base64url(
      new TextEncoder().encode(JSON.stringify({ ...claims, role: "service_role" })),
    );
    const cases: [string, string | null, number, string][] = [
      ["no Authorization", null, 401, "no_authorization"],
      ["not a JWT", "Bearer not-a-jwt", 403, "bad_jwt"],
      ["alg none", `Bearer ${noneHeader}.${payload}.`, 403, "bad_jwt"],
      [
        "forged payload",
        `Bearer ${(await signJwtEs256(claims, key)).split(".")[0]}.${forgedPayload}.${signature}`,
        403,
        "bad_jwt",
      ],
      ["another key's kid", `Bearer ${await signJwtEs256(claims, otherKey)}`, 403, "bad_jwt"],
      [
        "another key claiming the stack's kid",
        `Bearer ${await signJwtEs256(claims, { ...otherKey, kid: key.kid })}`,
        403,
        "bad_jwt",
      ],
      ["expired", `Bearer ${await signJwtEs256({ ...claims, exp: now - 1 }, key)}`, 403, "bad_jwt"],
      [
        "HS256 with a wrong secret",
        `Bearer ${await signJwt(claims, "x".repeat(40))}`,
        403,
        "bad_jwt",
      ],
      ["the anon key", `Bearer ${stack.anonKey}`, 403, "bad_jwt"],
      [
        "no such user",
        `Bearer ${await legacyUserToken(crypto.randomUUID())}`,
        403,
        "user_not_found",
      ],
      [
        "wrong audience",
        `Bearer ${await legacyUserToken(id, { aud: "other" })}`,
        400,
        "validation_failed",
      ],
    ];
    for (const [name, authorization, status, code] of cases) {
      const response = await call(api.url, "/user", {
        headers: authorization ? { authorization } : {},
      });
      assert.deepEqual([response.status, response.body.code], [status, code], name);
    }
    const valid = await call(api.url, "/user", {
      headers: { authorization: `Bearer ${await signJwtEs256(claims, key)}` },
    });
    assert.equal(valid.status, 200, "the same claims, properly signed");
  });
});

Deno.test("the admin API needs the service key, refuses duplicates and bad emails, and deletes", async () => {
  await withApi(async (api) => {
    const email = newEmail("admin");
    const asUser = await api.client().auth.admin.createUser({ email, password });
    assert.equal(asUser.error?.status, 403);
    assert.equal(asUser.error?.code, "not_admin");

    const user = await createConfirmedUser(api, email);
    const duplicate = await api.admin.auth.admin.createUser({
      email: email.toUpperCase(),
      password,
    });
    assert.equal(duplicate.error?.status, 422);
    assert.equal(duplicate.error?.code, "email_exists");
    const badEmail = await api.admin.auth.admin.createUser({ email: "not-an-email", password });
    assert.equal(badEmail.error?.code, "validation_failed");

    const { data } = await api.client().auth.signInWithPassword({ email, password });
    const { error } = await api.admin.auth.admin.deleteUser(user.id);
    assert.equal(error, null);
    const [{ count }] = await sql`
      select count(*)::int from auth.users where id = ${user.id}::uuid`;
    assert.equal(count, 0);
    const gone = await api.client().auth.getUser(data.session!.access_token);
    assert.equal(gone.error?.code, "user_not_found");
    const missing = await api.admin.auth.admin.getUserById(user.id);
    assert.equal(missing.error?.status, 404);
  });
});

globalThis.addEventListener("unload", () => {
  sql.end();
});

/**
 * Follows an email link as a browser would, once: where it sends the person, and the fragment.
 * Links name the project's API URL (the stack's); this test's gateway serves it here.
 */
async function follow(link: string, api: Api) {
  const response = await fetch(link.replace(stack.apiUrl, api.url), { redirect: "manual" });
  await response.body?.cancel();
  const location = response.headers.get("location") ?? "";
  const [target, fragment = ""] = location.split("#");
  return { status: response.status, target, fragment: new URLSearchParams(fragment) };
}

Deno.test("an invite link from generateLink signs the invited person in once, confirming their email", async () => {
  await withApi(async (api) => {
    const email = newEmail("invited");
    const { data, error } = await api.admin.auth.admin.generateLink({ type: "invite", email });
    assert.equal(error, null);
    const { user, properties } = data;
    assert.equal(user!.email, email.toLowerCase());
    assert.equal(properties!.verification_type, "invite");
    assert.equal(properties!.redirect_to, siteUrl, "the site URL (the dashboard) by default");
    assert.match(properties!.email_otp, /^\d{6}$/);
    assert.match(properties!.hashed_token, /^[0-9a-f]{56}$/, "a SHA-224 in hex");
    assert.equal(
      properties!.action_link,
      `${stack.apiUrl}/auth/v1/verify?token=${properties!.hashed_token}&type=invite&redirect_to=` +
        siteUrl,
    );
    const [stored] = await sql`
      select invited_at is not null as invited, email_confirmed_at, encrypted_password,
             confirmation_token
      from auth.users where id = ${user!.id}`;
    assert.deepEqual(
      { ...stored },
      {
        invited: true,
        email_confirmed_at: null,
        encrypted_password: "",
        confirmation_token: properties!.hashed_token,
      },
      "invited, not confirmed, no password yet",
    );

    // The person follows the link: signed in, in the fragment of the site's URL.
    const used = await follow(properties!.action_link, api);
    assert.equal(used.status, 303);
    assert.equal(used.target, siteUrl);
    assert.equal(used.fragment.get("type"), "invite");
    assert.equal(used.fragment.get("token_type"), "bearer");
    const session = await api.client().auth.setSession({
      access_token: used.fragment.get("access_token")!,
      refresh_token: used.fragment.get("refresh_token")!,
    });
    assert.equal(session.error, null);
    assert.equal(session.data.user!.id, user!.id);
    assert.ok(session.data.user!.email_confirmed_at, "the email is confirmed");
    const amr = decode(used.fragment.get("access_token")!).claims.amr as { method: string }[];
    assert.deepEqual(amr.map((entry) => entry.method), ["otp"], "signed in by a one-time link");

    // Once only; and a confirmed person cannot be invited again.
    const again = await follow(properties!.action_link, api);
    assert.equal(again.fragment.get("error_code"), "otp_expired");
    assert.equal(again.fragment.get("error"), "access_denied");
    assert.equal(again.fragment.get("error_description"), "Email link is invalid or has expired");
    const reinvite = await api.admin.auth.admin.generateLink({ type: "invite", email });
    assert.equal(reinvite.error?.status, 422);
    assert.equal(reinvite.error?.code, "email_exists");
  });
});

Deno.test("a magic link signs an existing user in; for a new email it is a signup link", async () => {
  await withApi(async (api) => {
    const existing = await createConfirmedUser(api);
    const { data } = await api.admin.auth.admin.generateLink({
      type: "magiclink",
      email: existing.email!,
      options: { redirectTo: "http://127.0.0.1:3000/welcome" },
    });
    assert.equal(data.properties!.verification_type, "magiclink");
    assert.equal(data.properties!.redirect_to, "http://127.0.0.1:3000/welcome");
    // supabase-js verifyOtp with the hash, as a frontend confirming the link itself does.
    const verified = await api.client().auth.verifyOtp({
      type: "magiclink",
      token_hash: data.properties!.hashed_token,
    });
    assert.equal(verified.error, null);
    assert.equal(verified.data.user!.id, existing.id);

    const fresh = newEmail("fresh");
    const signup = await api.admin.auth.admin.generateLink({ type: "magiclink", email: fresh });
    assert.equal(signup.data.properties!.verification_type, "signup");
    const used = await follow(signup.data.properties!.action_link, api);
    assert.equal(used.fragment.get("type"), "signup");
    assert.ok(used.fragment.get("access_token"));
  });
});

Deno.test("generateLink refuses what GoTrue refuses, and only the service key may ask", async () => {
  await withApi(async (api) => {
    const bad = await api.admin.auth.admin.generateLink({ type: "invite", email: "not-an-email" });
    assert.equal(bad.error?.status, 400);
    assert.equal(bad.error?.code, "validation_failed");
    const elsewhere = await api.admin.auth.admin.generateLink({
      type: "invite",
      email: newEmail("elsewhere"),
      options: { redirectTo: "https://evil.example/steal" },
    });
    assert.equal(
      elsewhere.data.properties!.redirect_to,
      siteUrl,
      "a redirect off the site is replaced by the site URL",
    );
    const anon = await call(api.url, "/admin/generate_link", {
      method: "POST",
      headers: { authorization: `Bearer ${stack.anonKey}` },
      body: JSON.stringify({ type: "invite", email: newEmail("anon") }),
    });
    assert.equal(anon.status, 403);
    const forged = await follow(
      `${stack.apiUrl}/auth/v1/verify?token=${"0".repeat(56)}&type=invite`,
      api,
    );
    assert.equal(forged.fragment.get("error_code"), "otp_expired");
  });
});

/** An invited person, signed in by their link as the dashboard is (the session in the fragment). */
async function followInvite(api: Api, options: { redirectTo?: string } = {}) {
  const email = newEmail("chooser");
  const { data, error } = await api.admin.auth.admin.generateLink({
    type: "invite",
    email,
    options,
  });
  assert.equal(error, null);
  const used = await follow(data.properties!.action_link, api);
  const client = api.client();
  const signedIn = await client.auth.setSession({
    access_token: used.fragment.get("access_token")!,
    refresh_token: used.fragment.get("refresh_token")!,
  });
  assert.equal(signedIn.error, null);
  return { email, client, userId: data.user!.id, landed: used.target };
}

Deno.test("an invite lands on an allowed redirect_to, else on the site URL", async () => {
  await withApi(async (api) => {
    const dashboard = "http://127.0.0.1:61234/";
    assert.equal((await followInvite(api, { redirectTo: dashboard })).landed, dashboard);
    const elsewhere = await followInvite(api, { redirectTo: "https://evil.example/" });
    assert.equal(elsewhere.landed, siteUrl);
  });
});

Deno.test("updateUser lets an invited person choose a password, with GoTrue's checks", async () => {
  await withApi(async (api) => {
    const invited = await followInvite(api);
    const chosen = "a password of their own";

    const weak = await invited.client.auth.updateUser({ password: "short" });
    assert.equal(weak.error?.status, 422);
    assert.equal(weak.error?.code, "weak_password");
    assert.equal(weak.error?.message, "Password should be at least 6 characters.");
    assert.deepEqual((weak.error as unknown as { reasons: string[] }).reasons, ["length"]);
    const long = await invited.client.auth.updateUser({ password: "é".repeat(37) });
    assert.equal(long.error?.status, 400, "74 bytes, though 37 characters");
    assert.equal(long.error?.message, "Password cannot be longer than 72 characters");

    const firstToken = (await invited.client.auth.getSession()).data.session!.access_token;
    const set = await invited.client.auth.updateUser({ password: chosen });
    assert.equal(set.error, null);
    assert.equal(set.data.user!.id, invited.userId);
    const [stored] = await sql`
      select encrypted_password from auth.users where id = ${invited.userId}`;
    assert.match(stored.encrypted_password, /^\$2a\$10\$/, "bcrypt, as Auth stores it");

    // The new password signs in (a second session); choosing it again is refused.
    const other = api.client();
    const signIn = await other.auth.signInWithPassword({ email: invited.email, password: chosen });
    assert.equal(signIn.error, null);
    const same = await other.auth.updateUser({ password: chosen });
    assert.equal(same.error?.status, 422);
    assert.equal(same.error?.code, "same_password");
    assert.equal(same.error?.message, "New password should be different from the old password.");

    // A change ends every other session of the user, and only the new password signs in.
    const changed = await other.auth.updateUser({ password: "another password entirely" });
    assert.equal(changed.error, null);
    assert.equal((await other.auth.getUser()).error, null, "the session that changed it stays");
    const ended = await api.client().auth.getUser(firstToken);
    assert.equal(ended.error?.name, "AuthSessionMissingError", "403 session_not_found");
    const [{ count }] = await sql`
      select count(*)::int from auth.sessions where user_id = ${invited.userId}::uuid`;
    assert.equal(count, 1, "only the session that changed it is left");
    const old = await api.client().auth.signInWithPassword({
      email: invited.email,
      password: chosen,
    });
    assert.equal(old.error?.code, "invalid_credentials");
  });
});

Deno.test("PUT /user refuses what GoTrue refuses, and what the stand-in does not offer", async () => {
  await withApi(async (api) => {
    const anonymous = await call(api.url, "/user", {
      method: "PUT",
      body: JSON.stringify({ password: "whatever it is" }),
    });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, "no_authorization");

    const invited = await followInvite(api);
    const email = await invited.client.auth.updateUser({ email: newEmail("changed") });
    assert.equal(email.error?.status, 501);
    assert.match(email.error!.message, /"email" .*not supported by the local Auth stand-in/);
    const data = await invited.client.auth.updateUser({ data: { team: "ops" } });
    assert.equal(data.error?.status, 501);

    // Clients before API version 2024-01-01 get the older error shape, reasons included.
    const token = (await invited.client.auth.getSession()).data.session!.access_token;
    const weak = await call(api.url, "/user", {
      method: "PUT",
      version: false,
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ password: "tiny" }),
    });
    assert.equal(weak.status, 422);
    assert.equal(weak.headers.get("x-sb-error-code"), "weak_password");
    assert.deepEqual(weak.body, {
      code: 422,
      error_code: "weak_password",
      msg: "Password should be at least 6 characters.",
      weak_password: { reasons: ["length"] },
    });
  });
});
