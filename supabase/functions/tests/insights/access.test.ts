// POST /functions/v1/insights/generate through the gateway, beside the stack's Auth (verify_jwt
// off: the function verifies callers itself with supabase-js): who may ask, with which tokens,
// the rate limit, scheduled calls with the cron secret, bad bodies, and the deterministic rules
// that answer when no ANTHROPIC_API_KEY is set (here: never, so the scripted model must stay idle).
import assert from "node:assert/strict";
import {
  connect,
  legacyUserToken,
  stackSigningKey,
  startTestApi,
  testStack,
} from "../_support/stack.ts";
import { base64url, signJwt, signJwtEs256 } from "../../../../scripts/local/jwt.ts";
import { generateSigningKey } from "../../../../scripts/local/auth/signing-key.ts";
import { type FakeAnthropic, startFakeAnthropic } from "./fake-anthropic.ts";
import { type SeededWorkspace, seedWorkspace } from "./seed.ts";

const sql = connect();
const stack = testStack();

async function withRules(
  body: (context: { url: string; fake: FakeAnthropic; seeded: SeededWorkspace }) => Promise<void>,
) {
  const fake = startFakeAnthropic();
  // No ANTHROPIC_API_KEY: a base URL alone must not make the function call a model.
  const gateway = await startTestApi({ ANTHROPIC_BASE_URL: fake.url });
  try {
    const seeded = await seedWorkspace(sql);
    await body({ url: `${gateway.url}/functions/v1/insights/generate`, fake, seeded });
    assert.equal(fake.requests.length, 0, "without a key, no model is ever called");
  } finally {
    await gateway.close();
    await fake.close();
  }
}

async function call(url: string, headers: Record<string, string>, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json(),
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function storedCount(workspaceId: number) {
  const [{ count }] = await sql`
    select count(*)::int from public.insights where workspace_id = ${workspaceId}`;
  return count as number;
}

Deno.test("without a key, deterministic rules answer from the same facts (source rules)", async () => {
  await withRules(async ({ url, seeded }) => {
    const response = await call(url, bearer(seeded.memberToken), {
      workspace_id: seeded.workspaceId,
      period_days: 7,
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.source, "rules");
    assert.equal(response.body.model, null);
    assert.equal(response.body.period_days, 7);
    const items = response.body.items as { fact_ids: string[]; value: string }[];
    assert.ok(items.length >= 3 && items.length <= 5, `${items.length} insights`);
    const known = new Set((response.body.facts as { id: string }[]).map((fact) => fact.id));
    for (const item of items) assert.ok(item.fact_ids.every((id) => known.has(id)));
    const sends = (response.body.facts as { id: string; numbers: { current: number } }[])
      .find((fact) => fact.id === "sends")!.numbers.current;
    assert.ok(
      items[0].value.startsWith(`${sends.toLocaleString("en-US")} emails sent in the 7 days from `),
      items[0].value,
    );
    const [row] = await sql`
      select source, model, requested_by::text from public.insights where id = ${response.body.id}`;
    assert.deepEqual(row, { source: "rules", model: null, requested_by: seeded.memberId });
    const [broadcast] = await sql`
      select event from realtime.messages
      where topic = ${`workspace:${seeded.workspaceId}:insights`}`;
    assert.equal(broadcast.event, "insights_generated");
  });
});

Deno.test("a signed-in non-member is refused with 403, for the workspace and its campaigns", async () => {
  await withRules(async ({ url, seeded }) => {
    for (const body of [{ workspace_id: seeded.workspaceId }, { campaign_id: seeded.campaignId }]) {
      const response = await call(url, bearer(seeded.outsiderToken), body);
      assert.equal(response.status, 403, JSON.stringify(body));
      assert.match(response.body.error, /not a member/);
    }
    assert.equal(await storedCount(seeded.workspaceId), 0);
    // The refusals did not use up the workspace's rate limit.
    const member = await call(url, bearer(seeded.memberToken), {
      workspace_id: seeded.workspaceId,
    });
    assert.equal(member.status, 201);
  });
});

Deno.test("signed-in users' tokens are verified: ES256 from the stack's key, and legacy HS256", async () => {
  await withRules(async ({ url, seeded }) => {
    const current = await call(url, bearer(seeded.memberToken), {
      workspace_id: seeded.workspaceId,
    });
    assert.equal(current.status, 201, JSON.stringify(current.body));
    assert.equal(current.body.requested_by, seeded.memberId);

    await sql`delete from private.insight_generation_claims
              where workspace_id = ${seeded.workspaceId}`;
    const legacy = await call(url, bearer(await legacyUserToken(seeded.memberId)), {
      workspace_id: seeded.workspaceId,
    });
    assert.equal(legacy.status, 201, JSON.stringify(legacy.body));
    assert.equal(legacy.body.requested_by, seeded.memberId);
  });
});

const encodeJson = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));

Deno.test("refused callers get 401 and nothing is written: forged, alg none, wrong key, expired, wrong audience, the anon and service keys", async () => {
  await withRules(async ({ url, seeded }) => {
    const key = await stackSigningKey();
    const otherKey = await generateSigningKey();
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: seeded.memberId,
      role: "authenticated",
      aud: "authenticated",
      exp: now + 600,
    };
    const [header, , signature] = seeded.memberToken.split(".");
    const cases: [string, Record<string, string>][] = [
      ["no Authorization", {}],
      ["the anon key", bearer(stack.anonKey)],
      ["the service key", bearer(stack.serviceRoleKey)],
      [
        "forged signature (claims changed)",
        bearer(
          `${header}.${encodeJson({ ...claims, sub: seeded.outsiderId })}.${signature}`,
        ),
      ],
      ["alg none", bearer(`${encodeJson({ alg: "none", typ: "JWT" })}.${encodeJson(claims)}.`)],
      [
        "alg none with the stack's kid",
        bearer(
          `${encodeJson({ alg: "none", kid: key.kid, typ: "JWT" })}.${encodeJson(claims)}.`,
        ),
      ],
      ["another key's kid", bearer(await signJwtEs256(claims, otherKey))],
      [
        "another key claiming the stack's kid",
        bearer(
          await signJwtEs256(claims, { ...otherKey, kid: key.kid }),
        ),
      ],
      ["expired", bearer(await signJwtEs256({ ...claims, exp: now - 10 }, key))],
      ["wrong audience", bearer(await signJwtEs256({ ...claims, aud: "other-project" }, key))],
      ["HS256 with another secret", bearer(await signJwt(claims, "y".repeat(48)))],
      ["HS256, expired", bearer(await legacyUserToken(seeded.memberId, { exp: now - 10 }))],
      ["HS256, wrong audience", bearer(await legacyUserToken(seeded.memberId, { aud: "x" }))],
    ];
    for (const [name, headers] of cases) {
      const response = await call(url, headers, { workspace_id: seeded.workspaceId });
      assert.equal(response.status, 401, `${name}: ${JSON.stringify(response.body)}`);
      assert.match(response.body.error, /sign in/, name);
    }
    assert.equal(await storedCount(seeded.workspaceId), 0);
    const [{ claimed }] = await sql`
      select count(*)::int as claimed from private.insight_generation_claims
      where workspace_id = ${seeded.workspaceId}`;
    assert.equal(claimed, 0, "no refused caller used up the rate limit");
  });
});

Deno.test("one generation per workspace per minute: the next is 429 with Retry-After", async () => {
  await withRules(async ({ url, seeded }) => {
    const first = await call(url, bearer(seeded.memberToken), { workspace_id: seeded.workspaceId });
    assert.equal(first.status, 201);
    for (const body of [{ workspace_id: seeded.workspaceId }, { campaign_id: seeded.campaignId }]) {
      const again = await call(url, bearer(seeded.memberToken), body);
      assert.equal(again.status, 429, JSON.stringify(body));
      const retryAfter = Number(again.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal(again.body.retry_after_seconds, retryAfter);
    }
    assert.equal(await storedCount(seeded.workspaceId), 1);

    // Once the last claim is a minute old, the next generation goes through.
    await sql`
      update private.insight_generation_claims set claimed_at = now() - interval '61 seconds'
      where workspace_id = ${seeded.workspaceId}`;
    const later = await call(url, bearer(seeded.memberToken), { campaign_id: seeded.campaignId });
    assert.equal(later.status, 201);
  });
});

Deno.test("scheduled generation: the cron secret acts as the service role", async () => {
  await withRules(async ({ url, seeded }) => {
    // What private.invoke_edge_function sends: x-cron-secret, plus the anon key as Bearer when
    // the Vault holds one.
    const headers = { ...bearer(stack.anonKey), "x-cron-secret": stack.cronSecret };
    const response = await call(url, headers, { workspace_id: seeded.workspaceId });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.requested_by, null);

    const missing = await call(url, headers, { workspace_id: 2_000_000_000 });
    assert.equal(missing.status, 404);

    const wrongSecret = await call(url, { ...headers, "x-cron-secret": "not-the-secret-at-all" }, {
      workspace_id: seeded.workspaceId,
    });
    assert.equal(wrongSecret.status, 401);
  });
});

Deno.test("bad bodies are 400 with a clear message", async () => {
  await withRules(async ({ url, seeded }) => {
    const cases: [unknown, RegExp][] = [
      ["not json", /not valid JSON/],
      [{}, /exactly one of "workspace_id" or "campaign_id"/],
      [{ workspace_id: seeded.workspaceId, period_days: 365 }, /between 1 and 90/],
      [{ workspace_id: String(seeded.workspaceId) }, /must be a number/],
    ];
    for (const [body, message] of cases) {
      const response = await call(url, bearer(seeded.memberToken), body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.body.error, message);
    }
    assert.equal(await storedCount(seeded.workspaceId), 0);
  });
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
