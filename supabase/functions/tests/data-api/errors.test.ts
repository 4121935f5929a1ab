// What /rest/v1 answers when something is wrong, compared with what hosted Supabase answers for the
// same request (its API gateway for API keys, PostgREST behaviour for everything else): the JSON
// body (code, details, hint, message) and the status, and that nothing breaks the stack.
import assert from "node:assert/strict";
import { signJwt } from "../../../../scripts/local/jwt.ts";
import { stackApiContext } from "../../../../scripts/local/api-services.ts";
import { createDataApi } from "../../../../scripts/local/rest/service.ts";
import { connect, testStack } from "../_support/stack.ts";
import { clientFor, seed, serviceClient, withApi } from "./seed.ts";

const sql = connect();
const seeded = await seed(sql);
const stack = testStack();

async function get(url: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/rest/v1${path}`, {
    headers: { apikey: stack.serviceRoleKey, ...headers },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

const pgrstError = (
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
) => ({
  code,
  details,
  hint,
  message,
});

Deno.test("API keys as hosted's gateway checks them", async () => {
  await withApi(async (url) => {
    const none = await fetch(`${url}/rest/v1/workspaces`);
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), {
      message: "No API key found in request",
      hint: "No `apikey` request header or url param was found.",
    });

    const userAsKey = await fetch(`${url}/rest/v1/workspaces`, {
      headers: { apikey: seeded.memberToken },
    });
    assert.equal(userAsKey.status, 401);
    assert.deepEqual(await userAsKey.json(), {
      message: "Invalid API key",
      hint: "Double check your Supabase `anon` or `service_role` API key.",
    });

    // The key in the URL works too, and is no filter.
    const inQuery = await fetch(
      `${url}/rest/v1/workspaces?select=id&id=eq.${seeded.alpha}&apikey=${stack.serviceRoleKey}`,
    );
    assert.equal(inQuery.status, 200);
    assert.deepEqual(await inQuery.json(), [{ id: seeded.alpha }]);

    // Only the anon key, no Authorization: the request runs as anon.
    const anonOnly = await fetch(`${url}/rest/v1/workspaces`, {
      headers: { apikey: stack.anonKey },
    });
    assert.equal(anonOnly.status, 401);
    assert.equal(anonOnly.headers.get("www-authenticate"), "Bearer");
    assert.equal((await anonOnly.json()).code, "42501");
  });
});

Deno.test("bad tokens get PostgREST's JWT errors (401, WWW-Authenticate)", async () => {
  await withApi(async (url) => {
    const now = Math.floor(Date.now() / 1000);
    const bearer = (token: string) => ({ apikey: stack.anonKey, authorization: `Bearer ${token}` });
    const cases: [string, ReturnType<typeof pgrstError>][] = [
      [
        await signJwt(
          { sub: seeded.memberId, role: "authenticated", exp: now - 3600 },
          stack.jwtSecret,
        ),
        pgrstError("PGRST303", "JWT expired"),
      ],
      ["abc.def", pgrstError("PGRST301", "Expected 3 parts in JWT; got 2")],
      ["", pgrstError("PGRST301", "Empty JWT is sent in Authorization header")],
      [
        "quifquirndsjagnrgniur.fonvoienqhhdj.iuqvnvhojah",
        pgrstError("PGRST301", "JWT cryptographic operation failed"),
      ],
      [
        await signJwt({ role: "authenticated" }, "another-secret-that-is-at-least-32-characters"),
        pgrstError(
          "PGRST301",
          "No suitable key or wrong key type",
          "None of the keys was able to decode the JWT",
        ),
      ],
      [
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.e30.yOBhlOIqn56T-4NvyEXCjfi3UmyQZ-BzXtePMO2NgRI",
        pgrstError(
          "PGRST301",
          "Wrong or unsupported encoding algorithm",
          "JWT is unsecured but expected 'alg' was not 'none'",
        ),
      ],
      [
        await signJwt({ role: "authenticated", exp: "tomorrow" }, stack.jwtSecret),
        pgrstError("PGRST303", "The JWT 'exp' claim must be a number"),
      ],
    ];
    for (const [token, expected] of cases) {
      const response = await get(url, "/workspaces", bearer(token));
      assert.equal(response.status, 401, token);
      assert.deepEqual(response.body, expected);
      assert.equal(
        response.headers.get("www-authenticate"),
        `Bearer error="invalid_token", error_description="${expected.message}"`,
      );
      assert.equal(response.headers.get("proxy-status"), `PostgREST; error=${expected.code}`);
    }

    // A role the database does not know: PostgreSQL refuses the switch, PostgREST says 401.
    const unknownRole = await get(
      url,
      "/workspaces",
      bearer(await signJwt({ role: "no_such_role", exp: now + 60 }, stack.jwtSecret)),
    );
    assert.equal(unknownRole.status, 401);
    assert.deepEqual(unknownRole.body, pgrstError("22023", 'role "no_such_role" does not exist'));

    // A role the authenticator login is not a member of, however validly signed: refused, as on
    // hosted, where PostgREST logs in as the NOINHERIT authenticator.
    const postgresRole = await get(
      url,
      "/bison_connections",
      bearer(await signJwt({ role: "postgres", exp: now + 60 }, stack.jwtSecret)),
    );
    assert.equal(postgresRole.status, 403);
    assert.deepEqual(
      postgresRole.body,
      pgrstError("42501", 'permission denied to set role "postgres"'),
    );

    // Not a Bearer token at all: no token, so anon.
    const basic = await get(url, "/workspaces", {
      apikey: stack.anonKey,
      authorization: "Basic dXNlcjpwYXNz",
    });
    assert.equal(basic.status, 401);
    assert.equal(basic.body.code, "42501");
  });
});

Deno.test("query-string errors: PGRST100 with PostgREST's exact parse messages", async () => {
  // [query, message, details], as PostgREST's parser reports them.
  const cases = [
    [
      "id=noop.1",
      '"failed to parse filter (noop.1)" (line 1, column 1)',
      'unexpected "o" expecting "not" or operator (eq, gt, ...)',
    ],
    [
      "order=id.ac",
      '"failed to parse order (id.ac)" (line 1, column 4)',
      'unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"',
    ],
    [
      "or=(id.in.1,2,id.eq.3)",
      '"failed to parse logic tree ((id.in.1,2,id.eq.3))" (line 1, column 10)',
      'unexpected "1" expecting "("',
    ],
    [
      "select=id,name!hint",
      '"failed to parse select parameter (id,name!hint)" (line 1, column 8)',
      'unexpected \'!\' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input',
    ],
  ];
  await withApi(async (url) => {
    for (const [query, message, details] of cases) {
      const response = await get(url, `/workspaces?${query}`);
      assert.equal(response.status, 400, query);
      assert.deepEqual(response.body, pgrstError("PGRST100", message, details));
    }
  });
});

Deno.test("unknown tables, columns, schemas and paths; values that do not fit a column", async () => {
  await withApi(async (url) => {
    const client = serviceClient(url);
    const typo = await client.from("workspace").select();
    assert.equal(typo.status, 404);
    assert.deepEqual(
      typo.error,
      pgrstError(
        "PGRST205",
        "Could not find the table 'public.workspace' in the schema cache",
        null,
        "Perhaps you meant the table 'public.workspaces'",
      ),
    );
    const far = await client.from("zzz_nothing_like_it").select();
    assert.equal(far.error?.hint, null);

    const column = await client.from("workspaces").select("id, nope");
    assert.equal(column.status, 400);
    assert.deepEqual(
      column.error,
      pgrstError(
        "42703",
        "column workspaces.nope does not exist",
        null,
        'Perhaps you meant to reference the column "workspaces.name".',
      ),
    );

    const notAnInteger = await client.from("workspaces").select("id").eq("id", "abc");
    assert.equal(notAnInteger.status, 400);
    assert.deepEqual(
      notAnInteger.error,
      pgrstError("22P02", 'invalid input syntax for type bigint: "abc"'),
    );

    const noSuchOperator = await client.from("workspaces").select("id").ilike("id", "1*");
    assert.equal(noSuchOperator.status, 404, "42883 (undefined function) answers 404");
    assert.equal(noSuchOperator.error?.code, "42883");

    const privateSchema = await client.schema("private").from("webhook_events").select();
    assert.equal(privateSchema.status, 406);
    assert.deepEqual(
      privateSchema.error,
      pgrstError(
        "PGRST106",
        "Invalid schema: private",
        null,
        "Only the following schemas are exposed: public, graphql_public",
      ),
    );

    const path = await get(url, "/workspaces/1");
    assert.equal(path.status, 404);
    assert.deepEqual(path.body, pgrstError("PGRST125", "Invalid path specified in request URL"));
  });
});

Deno.test("outside the subset: a clear error naming the feature, and nothing changes", async () => {
  await withApi(async (url) => {
    const client = serviceClient(url);
    const insert = await client.from("workspaces").insert({ name: "never" });
    assert.equal(insert.status, 400);
    assert.equal(insert.error?.code, "PGRST127");
    assert.equal(insert.error?.message, "Feature not implemented");
    assert.match(insert.error?.details ?? "", /^Writes \(POST on a table or view/);
    const [{ count }] = await sql`select count(*)::int from public.workspaces where name = 'never'`;
    assert.equal(count, 0);
    for (
      const write of [
        client.from("workspaces").update({ name: "never" }).eq("id", seeded.alpha),
        client.from("workspaces").delete().eq("id", seeded.alpha),
        client.from("workspaces").upsert({ id: seeded.alpha, name: "never" }),
      ]
    ) {
      assert.equal((await write).error?.code, "PGRST127");
    }

    const embed = await client.from("workspaces").select("id, campaigns(name)");
    assert.equal(embed.error?.code, "PGRST127");
    assert.match(
      embed.error?.details ?? "",
      /^Resource embedding \('campaigns\(\.\.\.\)' in select\)/,
    );

    const notEmbedded = await get(url, "/workspaces?campaigns.id=eq.1");
    assert.deepEqual(
      notEmbedded.body,
      pgrstError(
        "PGRST108",
        "'campaigns' is not an embedded resource in this request",
        null,
        "Verify that 'campaigns' is included in the 'select' query parameter.",
      ),
    );

    const aggregate = await client.from("workspaces").select("count()");
    assert.deepEqual(
      aggregate.error,
      pgrstError("PGRST123", "Use of aggregate functions is not allowed"),
    );

    const media = await get(url, "/workspaces", { accept: "application/xml" });
    assert.equal(media.status, 406);
    assert.deepEqual(
      media.body,
      pgrstError("PGRST107", "None of these media types are available: application/xml"),
    );

    const negative = await get(url, "/workspaces?limit=-1");
    assert.equal(negative.status, 416);
    assert.deepEqual(
      negative.body,
      pgrstError(
        "PGRST103",
        "Requested range not satisfiable",
        "Limit should be greater than or equal to zero.",
      ),
    );

    const strict = await get(url, "/workspaces", { prefer: "handling=strict, bogus=1" });
    assert.deepEqual(
      strict.body,
      pgrstError(
        "PGRST122",
        "Invalid preferences given with handling=strict",
        "Invalid preferences: bogus=1",
      ),
    );

    const put = await fetch(`${url}/rest/v1/rpc/workspace_insight_facts`, {
      method: "PUT",
      headers: { apikey: stack.serviceRoleKey },
    });
    assert.equal(put.status, 405);
    assert.deepEqual(await put.json(), pgrstError("PGRST101", "Cannot use the PUT method on RPC"));

    const badJson = await fetch(`${url}/rest/v1/rpc/workspace_insight_facts`, {
      method: "POST",
      headers: { apikey: stack.serviceRoleKey, "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(badJson.status, 400);
    assert.deepEqual(await badJson.json(), pgrstError("PGRST102", "Empty or invalid json"));
  });
});

Deno.test("hostile input never runs as SQL and never takes the stack down", async () => {
  await withApi(async (url) => {
    const identifier = await get(
      url,
      `/workspaces?select=${encodeURIComponent('id,"x\\" from pg_roles; --"')}`,
    );
    assert.equal(identifier.status, 400);
    assert.deepEqual(
      identifier.body,
      pgrstError("42703", 'column workspaces.x" from pg_roles; -- does not exist'),
    );

    const huge = await fetch(`${url}/rest/v1/workspaces?id=in.(${"1,".repeat(10_000)}1)`, {
      headers: { apikey: stack.serviceRoleKey },
    });
    assert.equal(huge.status, 414);
    await huge.body?.cancel();

    // Hundreds of levels of and/or parse (PostgREST has no limit); beyond what this stand-in's
    // stack holds, a clear error instead of a crash.
    const nested = (n: number) => `(${"and(id.gt.0,".repeat(n)}id.gt.0${")".repeat(n)})`;
    const deep = await get(url, `/workspaces?select=id&id=eq.${seeded.alpha}&or=${nested(300)}`);
    assert.deepEqual(deep.body, [{ id: seeded.alpha }]);
    const tooDeep = await get(url, `/workspaces?or=${nested(1100)}`);
    assert.equal(tooDeep.status, 400);
    assert.equal(tooDeep.body.code, "PGRST127");

    const [{ count }] =
      await sql`select count(*)::int from public.workspaces where id = ${seeded.alpha}`;
    assert.equal(count, 1);
    const after = await get(url, `/workspaces?select=id&id=eq.${seeded.alpha}`);
    assert.deepEqual(after.body, [{ id: seeded.alpha }], "the stack still answers");
  });
});

Deno.test("each request runs as its role with request.* set exactly as PostgREST sets them", async () => {
  const fn = `data_api_request_settings_${crypto.randomUUID().replaceAll("-", "")}`;
  await sql.unsafe(`
    create function public.${fn}() returns jsonb language sql volatile as $$
      select jsonb_build_object(
        'role', current_user,
        'claims', current_setting('request.jwt.claims', true),
        'method', current_setting('request.method', true),
        'path', current_setting('request.path', true),
        'headers', current_setting('request.headers', true)::jsonb,
        'cookies', current_setting('request.cookies', true),
        'search_path', current_setting('search_path'),
        'statement_timeout', current_setting('statement_timeout'),
        'read_only', current_setting('transaction_read_only'),
        'uid', auth.uid())
    $$;
    grant execute on function public.${fn}() to anon, authenticated, service_role;`);
  try {
    await withApi(async (url) => {
      const member = await clientFor(url, seeded.memberToken).rpc(fn, {}, { get: true });
      assert.equal(member.error, null, JSON.stringify(member.error));
      const payload = JSON.parse(
        atob(seeded.memberToken.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
      );
      const settings = member.data as Record<string, unknown>;
      assert.equal(settings.role, "authenticated");
      assert.equal(settings.uid, seeded.memberId);
      // Keys sorted at every level, role included, as PostgREST (aeson) encodes the claims.
      const sortKeys = (value: unknown): unknown =>
        Array.isArray(value)
          ? value.map(sortKeys)
          : value !== null && typeof value === "object"
          ? Object.fromEntries(
            Object.keys(value).sort().map((
              k,
            ) => [k, sortKeys((value as Record<string, unknown>)[k])]),
          )
          : value;
      assert.ok(typeof payload.app_metadata === "object", "an Auth token has nested claims");
      assert.equal(settings.claims, JSON.stringify(sortKeys(payload)));
      assert.equal(settings.method, "GET");
      assert.equal(settings.path, `/rpc/${fn}`);
      assert.equal(settings.cookies, "{}");
      assert.equal(settings.search_path, '"public", "public", "extensions"');
      assert.equal(settings.statement_timeout, "8s", "the role's own settings apply");
      assert.equal(settings.read_only, "on", "GET runs read-only");
      const headers = settings.headers as Record<string, string>;
      assert.equal(headers.authorization, `Bearer ${seeded.memberToken}`);
      assert.equal(headers["accept-profile"], "public");
      assert.ok(headers["x-client-info"]?.startsWith("supabase-js"), JSON.stringify(headers));

      const anon = await fetch(`${url}/rest/v1/rpc/${fn}`, {
        method: "POST",
        headers: {
          apikey: stack.anonKey,
          cookie: "theme=dark; lang=en",
          "content-type": "application/json",
        },
        body: "{}",
      });
      const anonSettings = await anon.json();
      assert.equal(anonSettings.role, "anon");
      assert.equal(
        anonSettings.claims,
        JSON.stringify({ exp: 1983812996, iss: "supabase-demo", role: "anon" }),
      );
      assert.equal(anonSettings.method, "POST");
      assert.equal(anonSettings.cookies, JSON.stringify({ lang: "en", theme: "dark" }));
      assert.equal(anonSettings.statement_timeout, "3s");
      assert.equal(anonSettings.read_only, "off", "POST to a volatile function may write");
      assert.equal(anonSettings.uid, null);

      const service = await serviceClient(url).rpc(fn);
      assert.equal((service.data as Record<string, unknown>).role, "service_role");
    });
  } finally {
    await sql.unsafe(`drop function public.${fn}()`);
  }
});

Deno.test("browsers: preflight and CORS headers", async () => {
  await withApi(async (url) => {
    const preflight = await fetch(`${url}/rest/v1/workspaces`, {
      method: "OPTIONS",
      headers: {
        origin: "https://dashboard.example.test",
        "access-control-request-method": "GET",
        "access-control-request-headers": "apikey, x-client-info",
      },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.equal(
      preflight.headers.get("access-control-allow-headers"),
      "Authorization, apikey, x-client-info",
    );
    await preflight.body?.cancel();

    const read = await get(url, `/workspaces?select=id&id=eq.${seeded.alpha}`, {
      origin: "https://dashboard.example.test",
    });
    assert.equal(read.headers.get("access-control-allow-origin"), "*");
    assert.match(read.headers.get("access-control-expose-headers") ?? "", /Content-Range/);
  });
});

Deno.test("an unreachable database answers PostgREST's 503, and the API keeps answering", async () => {
  const api = createDataApi(
    await stackApiContext({
      ...stack,
      databaseUrl: "postgresql://postgres:postgres@127.0.0.1:9/postgres",
      log: () => {},
    }),
  );
  try {
    const response = await api.handle(
      new Request("http://127.0.0.1/rest/v1/workspaces", { headers: { apikey: stack.anonKey } }),
    );
    assert.equal(response.status, 503);
    const body = await response.json();
    assert.equal(body.code, "PGRST000");
    assert.equal(body.message, "Database connection error.");
    const parse = await api.handle(
      new Request("http://127.0.0.1/rest/v1/workspaces?id=noop.1", {
        headers: { apikey: stack.anonKey },
      }),
    );
    assert.equal((await parse.json()).code, "PGRST100");
  } finally {
    await api.close?.();
  }
});
