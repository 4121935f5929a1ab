import assert from "node:assert/strict";
import { join } from "node:path";
import { signJwt, signJwtEs256 } from "./jwt.ts";
import { type ApiService, startGateway } from "./gateway.ts";
import { generateSigningKey } from "./auth/signing-key.ts";
import { repoRoot } from "./config.ts";

const jwtSecret = "test-jwt-secret-with-at-least-32-characters!!";
const fixtures = join(repoRoot, "supabase", "functions", "tests", "fixtures");

async function withGateway(
  configToml: string,
  body: (url: string) => Promise<void>,
  options: { env?: Record<string, string>; services?: ApiService[]; apiKeys?: string[] } = {},
) {
  const configPath = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(configPath, configToml);
  Deno.env.set("GATEWAY_ONLY_SENTINEL", "must-not-leak");
  const gateway = await startGateway({
    port: 0,
    jwtSecret,
    functionDirs: [join(repoRoot, "supabase", "functions"), fixtures],
    configPath,
    env: options.env ?? {
      SUPABASE_URL: "http://127.0.0.1:1",
      SUPABASE_DB_URL: "postgresql://unused",
    },
    services: options.services,
    apiKeys: options.apiKeys,
    log: () => {},
  });
  try {
    await body(`${gateway.url}/functions/v1`);
  } finally {
    await gateway.close();
    Deno.env.delete("GATEWAY_ONLY_SENTINEL");
    await Deno.remove(configPath);
  }
}

const token = (claims: Record<string, unknown>, secret = jwtSecret) => signJwt(claims, secret);
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

Deno.test("verify_jwt (the default) rejects missing, forged and expired tokens before the handler", async () => {
  await withGateway("", async (base) => {
    const call = async (authorization?: string) => {
      const response = await fetch(`${base}/echo`, {
        headers: authorization ? { authorization } : {},
      });
      return { status: response.status, body: await response.json() };
    };
    const missing = await call();
    assert.deepEqual(missing.status, 401);
    assert.deepEqual(missing.body.message, "Missing authorization header");
    const forged = await call(
      `Bearer ${await token({ role: "anon" }, "another-secret-32-characters-long!!")}`,
    );
    assert.deepEqual(forged.status, 401);
    assert.deepEqual(forged.body.message, "Invalid JWT");
    const expired = await call(`Bearer ${await token({ role: "anon", exp: 1000 })}`);
    assert.deepEqual(expired.status, 401);
    const valid = await call(`Bearer ${await token({ role: "anon", exp: inAnHour() })}`);
    assert.deepEqual(valid.status, 200);
    assert.deepEqual(valid.body.path, "/echo");
  });
});

Deno.test("verify_jwt = false in config.toml lets a request without Authorization reach the handler", async () => {
  await withGateway("[functions.echo]\nverify_jwt = false\n", async (base) => {
    const response = await fetch(`${base}/echo/some/route?x=1`, { method: "POST", body: "hi" });
    assert.deepEqual(response.status, 200);
    assert.deepEqual(response.headers.get("x-echo"), "yes");
    const body = await response.json();
    assert.deepEqual(body.path, "/echo/some/route", "the hosted runtime's path: /<name>/...");
    assert.deepEqual(body.search, "?x=1");
    assert.deepEqual(body.method, "POST");
    assert.deepEqual(body.body, "hi");
    assert.deepEqual(body.authorization, null);
  });
});

Deno.test("bodies pass through whole: small ones of known length, large or unknown-length ones streamed", async () => {
  await withGateway("[functions.echo]\nverify_jwt = false\n", async (base) => {
    const small = "s".repeat(10_000);
    const known = await fetch(`${base}/echo`, { method: "POST", body: small });
    assert.equal((await known.json()).body, small);

    const chunk = "c".repeat(64 * 1024);
    const chunks = 80; // 5 MiB, beyond what the gateway buffers, of unknown length
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ === chunks) return controller.close();
        controller.enqueue(new TextEncoder().encode(chunk));
      },
    });
    const streamed = await fetch(`${base}/echo`, { method: "POST", body: stream });
    assert.equal(streamed.status, 200);
    const echoed = (await streamed.json()).body as string;
    assert.equal(echoed.length, chunk.length * chunks);
    assert.equal(echoed, chunk.repeat(chunks));
  });
});

Deno.test("functions get the platform's variables and nothing of the gateway's own environment", async () => {
  await withGateway("[functions.echo]\nverify_jwt = false\n", async (base) => {
    const body = await (await fetch(`${base}/echo`)).json();
    assert(body.envKeys.includes("SUPABASE_URL"));
    assert(body.envKeys.includes("SUPABASE_DB_URL"));
    assert(!body.envKeys.includes("GATEWAY_ONLY_SENTINEL"));
  });
});

Deno.test("unknown names, shared code and test folders are not functions", async () => {
  await withGateway("", async (base) => {
    for (const name of ["no-such-function", "_shared", "tests"]) {
      const response = await fetch(`${base}/${name}`);
      await response.body?.cancel();
      assert.deepEqual(response.status, 404, name);
    }
    const outside = await fetch(base.replace("/functions/v1", "/rest/v1/anything"));
    await outside.body?.cancel();
    assert.deepEqual(outside.status, 404);
  });
});

Deno.test("verify_jwt, like hosted's legacy check, refuses user tokens signed with the asymmetric key", async () => {
  const key = await generateSigningKey();
  await withGateway("", async (base) => {
    const claims = { sub: "u1", role: "authenticated", aud: "authenticated", exp: inAnHour() };
    const response = await fetch(`${base}/echo`, {
      headers: { authorization: `Bearer ${await signJwtEs256(claims, key)}` },
    });
    assert.deepEqual([response.status, (await response.json()).message], [401, "Invalid JWT"]);
    const legacy = await fetch(`${base}/echo`, {
      headers: { authorization: `Bearer ${await token(claims)}` },
    });
    await legacy.body?.cancel();
    assert.equal(legacy.status, 200, "the same claims signed HS256 with the JWT secret pass");
  });
});

Deno.test("functions get the gateway's own URL as SUPABASE_URL unless the environment names one", async () => {
  await withGateway("[functions.echo]\nverify_jwt = false\n", async (base) => {
    const body = await (await fetch(`${base}/echo`)).json();
    assert.equal(body.supabaseUrl, new URL(base).origin);
  }, { env: { SUPABASE_DB_URL: "postgresql://unused" } });
});

Deno.test("client APIs need one of the project's API keys, except on their open paths", async () => {
  const service: ApiService = {
    prefix: "/auth/v1",
    openPaths: ["/auth/v1/.well-known/jwks.json"],
    handle: (request) => Response.json({ path: new URL(request.url).pathname }),
  };
  await withGateway("", async (base) => {
    const origin = new URL(base).origin;
    const call = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${origin}${path}`, init);
      return { status: response.status, body: await response.json().catch(() => null) };
    };
    assert.deepEqual(await call("/auth/v1/user"), {
      status: 401,
      body: {
        message: "No API key found in request",
        hint: "No `apikey` request header or url param was found.",
      },
    });
    const wrong = await call("/auth/v1/user", { headers: { apikey: "not-a-key" } });
    assert.deepEqual([wrong.status, wrong.body.message], [401, "Invalid API key"]);
    assert.equal((await call("/auth/v1/user", { headers: { apikey: "anon-key" } })).status, 200);
    assert.equal((await call("/auth/v1/user?apikey=service-key")).status, 200, "in the query");
    assert.equal((await call("/auth/v1/.well-known/jwks.json")).status, 200, "open path");
    assert.equal((await call("/auth/v1/user", { method: "OPTIONS" })).status, 200, "preflight");
  }, { services: [service], apiKeys: ["anon-key", "service-key"] });
});

Deno.test("a function resolves modules with its own import map only, never the root deno.json", async () => {
  const lines: string[] = [];
  const gateway = await startGateway({
    port: 0,
    jwtSecret,
    functionDirs: [fixtures],
    configPath: join(repoRoot, "supabase", "config.toml"),
    env: { SUPABASE_URL: "http://127.0.0.1:1", SUPABASE_DB_URL: "postgresql://unused" },
    log: (line) => lines.push(line),
  });
  try {
    const response = await fetch(`${gateway.url}/functions/v1/no-import-map`, {
      headers: { authorization: `Bearer ${await token({ role: "anon", exp: inAnHour() })}` },
    });
    assert.equal(response.status, 503, JSON.stringify(await response.json()));
    assert.match(lines.join("\n"), /Import "zod" not a dependency/);
  } finally {
    await gateway.close();
  }
});
