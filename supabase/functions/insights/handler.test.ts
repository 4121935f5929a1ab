// The handler's answers with an in-memory store and generator: who may ask, what a valid body is,
// how each store outcome and each model failure is answered, and what gets stored.
import assert from "node:assert/strict";
import {
  type Caller,
  createInsightsHandler,
  type GenerateRequest,
  type InsightsStore,
  type NewInsights,
  type Prepared,
} from "./handler.ts";
import { type Fact, type Generator, ModelError } from "./types.ts";
import type { UserVerification } from "../_shared/user-token.ts";

const cronSecret = "a-cron-secret-that-is-long-enough";
const userId = "5b0c6a4e-1f7e-4c55-9a43-3d1f8d2b7e10";

const userClaims = {
  sub: userId,
  role: "authenticated",
  aud: "authenticated",
  email: "member@example.test",
};
// Tokens are opaque here: the injected verifier decides what each one is, as Auth would.
const userToken = "token-of-a-member";
const verifications: Record<string, UserVerification> = {
  [userToken]: { outcome: "user", userId, claims: userClaims },
  "the-anon-key": { outcome: "refused", reason: "the token is not a signed-in user's (role)" },
  "the-service-key": { outcome: "refused", reason: "invalid claim: missing sub claim" },
  "a-forged-token": { outcome: "refused", reason: "Invalid JWT signature" },
  "while-auth-is-down": { outcome: "unavailable", reason: "Auth could not be reached" },
};

function fakeVerifier() {
  const asked: string[] = [];
  const verifyUser = (token: string) => {
    asked.push(token);
    return Promise.resolve(
      verifications[token] ?? { outcome: "refused" as const, reason: "token is malformed" },
    );
  };
  return { verifyUser, asked };
}

const facts: Fact[] = [
  { id: "period", kind: "period", numbers: { period_days: 14, start: "2026-11-08" } },
  { id: "sends", kind: "volume", numbers: { current: 1000, previous: 800, change_pct: 25 } },
  {
    id: "reply_rate",
    kind: "rate",
    numbers: { current_pct: 2.4, previous_pct: 1.25, typical_low_pct: 1, typical_high_pct: 5 },
  },
  { id: "interested_rate", kind: "rate", numbers: { current_pct: 0.6, previous_pct: 0.38 } },
];

const ready: Prepared = {
  outcome: "ready",
  workspaceId: 7,
  campaignId: null,
  periodStart: "2026-11-08",
  periodEnd: "2026-11-22",
  facts,
};

function fakeStore(prepared: Prepared | (() => Promise<Prepared>) = ready) {
  const calls = {
    prepared: [] as { caller: Caller; request: GenerateRequest }[],
    saved: [] as NewInsights[],
  };
  const store: InsightsStore = {
    prepare(caller, request) {
      calls.prepared.push({ caller, request });
      return typeof prepared === "function" ? prepared() : Promise.resolve(prepared);
    },
    save(insights) {
      calls.saved.push(insights);
      return Promise.resolve({ id: 1, workspace_id: insights.workspaceId, items: insights.items });
    },
  };
  return { store, calls };
}

const claudeAnswer: Generator = () =>
  Promise.resolve({
    items: [
      { key: "k1", value: "v1", metric: "reply_rate", trend: "up", fact_ids: ["reply_rate"] },
      { key: "k2", value: "v2", metric: "emails_sent", trend: "up", fact_ids: ["sends"] },
      { key: "k3", value: "v3", metric: "interested_rate", trend: "up", fact_ids: ["sends"] },
    ],
    model: "claude-test-model",
    dropped: { unknown_fact: 0, ungrounded: 0 },
  });

function handlerWith(
  options: { prepared?: Prepared | (() => Promise<Prepared>); claude?: Generator } = {},
) {
  const { store, calls } = fakeStore(options.prepared);
  const { verifyUser, asked } = fakeVerifier();
  const lines: string[] = [];
  const handler = createInsightsHandler({
    store,
    verifyUser,
    cronSecret,
    claude: options.claude,
    log: (entry) => lines.push(JSON.stringify(entry)),
  });
  return { handler, calls, lines, asked };
}

const post = (body: unknown, headers: Record<string, string> = {}, path = "/insights/generate") =>
  new Request(`http://localhost${path}`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });

const asUser = { authorization: `Bearer ${userToken}` };

Deno.test("a member's request: facts under their claims, rules without a key, 201 with the stored row", async () => {
  const { handler, calls } = handlerWith();
  const response = await handler(post({ workspace_id: 7 }, asUser));
  assert.equal(response.status, 201);
  assert.deepEqual((await response.json()).workspace_id, 7);
  assert.deepEqual(calls.prepared, [{
    caller: { kind: "user", userId, claims: userClaims },
    request: { workspaceId: 7, campaignId: undefined, periodDays: 14 },
  }]);
  assert.equal(calls.saved.length, 1);
  const saved = calls.saved[0];
  assert.equal(saved.source, "rules");
  assert.equal(saved.model, null);
  assert.equal(saved.requestedBy, userId);
  assert.deepEqual(saved.facts, facts, "the facts the insights cite are stored with them");
  assert.deepEqual([saved.periodStart, saved.periodEnd, saved.periodDays], [
    "2026-11-08",
    "2026-11-22",
    14,
  ]);
  assert.ok(saved.items.length >= 3 && saved.items.length <= 5);
  const known = new Set(facts.map((fact) => fact.id));
  for (const item of saved.items) {
    assert.ok(item.fact_ids.every((id) => known.has(id)), JSON.stringify(item));
  }
});

Deno.test("with a key, Claude's insights are stored with source claude and its model", async () => {
  const { handler, calls } = handlerWith({ claude: claudeAnswer });
  const response = await handler(post({ campaign_id: 3, period_days: 7 }, asUser));
  assert.equal(response.status, 201);
  assert.deepEqual(calls.prepared[0].request, {
    workspaceId: undefined,
    campaignId: 3,
    periodDays: 7,
  });
  assert.equal(calls.saved[0].source, "claude");
  assert.equal(calls.saved[0].model, "claude-test-model");
  assert.equal(calls.saved[0].items[0].key, "k1");
});

Deno.test("the cron secret acts as the service role, without asking Auth", async () => {
  const { handler, calls, asked } = handlerWith();
  const cron = await handler(post({ workspace_id: 7 }, { "x-cron-secret": cronSecret }));
  assert.equal(cron.status, 201);
  assert.deepEqual(calls.prepared.map((call) => call.caller), [{ kind: "service" }]);
  assert.deepEqual(calls.saved.map((saved) => saved.requestedBy), [null]);
  assert.deepEqual(asked, []);
});

Deno.test("no verified user and no cron secret is 401, before anything is read", async () => {
  const { handler, calls, asked } = handlerWith();
  const cases: [string, Record<string, string>][] = [
    ["no Authorization", {}],
    ["the anon key", { authorization: "Bearer the-anon-key" }],
    ["the service key (not a user)", { authorization: "Bearer the-service-key" }],
    ["a token Auth refuses", { authorization: "Bearer a-forged-token" }],
    ["not a JWT", { authorization: "Bearer not-a-jwt" }],
    ["not Bearer", { authorization: `Basic ${userToken}` }],
    ["two tokens", { authorization: `Bearer ${userToken} ${userToken}` }],
    ["a wrong cron secret", { "x-cron-secret": `${cronSecret}-wrong` }],
  ];
  for (const [name, headers] of cases) {
    const response = await handler(post({ workspace_id: 7 }, headers));
    assert.equal(response.status, 401, name);
    assert.match((await response.json()).error, /sign in/, name);
  }
  assert.equal(calls.prepared.length, 0);
  assert.deepEqual(asked, ["the-anon-key", "the-service-key", "a-forged-token", "not-a-jwt"]);
});

Deno.test("when Auth cannot be asked, the answer is 503 with Retry-After and nothing is read", async () => {
  const { handler, calls } = handlerWith();
  const response = await handler(
    post({ workspace_id: 7 }, { authorization: "Bearer while-auth-is-down" }),
  );
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "5");
  assert.equal(calls.prepared.length, 0);
});

Deno.test("bad bodies are 400 with what is wrong, and nothing is read", async () => {
  const { handler, calls } = handlerWith();
  const cases: [unknown, RegExp][] = [
    ["{not json", /not valid JSON/],
    ["[1]", /JSON object/],
    [{}, /exactly one of "workspace_id" or "campaign_id"/],
    [{ workspace_id: 1, campaign_id: 2 }, /exactly one of/],
    [{ workspace_id: "7" }, /workspace_id: workspace_id must be a number/],
    [{ workspace_id: -1 }, /workspace_id must be positive/],
    [{ campaign_id: 1.5 }, /campaign_id must be an integer/],
    [{ workspace_id: 7, period_days: 0 }, /period_days must be between 1 and 90/],
    [{ workspace_id: 7, period_days: 91 }, /period_days must be between 1 and 90/],
    [{ workspace_id: 7, period_days: 2.5 }, /whole number of days/],
    [{ workspaceId: 7 }, /Unrecognized key/],
  ];
  for (const [body, message] of cases) {
    const response = await handler(post(body, asUser));
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.match((await response.json()).error, message, JSON.stringify(body));
  }
  assert.equal(calls.prepared.length, 0);
});

Deno.test("a body over 16 KiB is 413", async () => {
  const { handler } = handlerWith();
  const response = await handler(post({ workspace_id: 7, pad: "x".repeat(17 * 1024) }, asUser));
  assert.equal(response.status, 413);
});

Deno.test("the store's refusals: non-member 403, unknown scope 404, rate limit 429 with Retry-After", async () => {
  const forbidden = await handlerWith({ prepared: { outcome: "forbidden" } }).handler(
    post({ workspace_id: 7 }, asUser),
  );
  assert.equal(forbidden.status, 403);
  assert.match((await forbidden.json()).error, /not a member/);

  const missing = await handlerWith({ prepared: { outcome: "not_found" } }).handler(
    post({ campaign_id: 9 }, { "x-cron-secret": cronSecret }),
  );
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /no such campaign/);

  const { handler, calls } = handlerWith({
    prepared: { outcome: "rate_limited", retryAfterSeconds: 42 },
  });
  const limited = await handler(post({ workspace_id: 7 }, asUser));
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "42");
  assert.equal((await limited.json()).retry_after_seconds, 42);
  assert.equal(calls.saved.length, 0);
});

Deno.test("a model failure is a clear 502 and nothing is stored", async () => {
  for (
    const error of [
      new ModelError("malformed", "the model's answer was malformed twice (x); nothing was stored"),
      new ModelError("unavailable", "the model provider is overloaded (3 attempts); try again"),
      new ModelError("rejected", "the model provider refused the request (HTTP 401)"),
    ]
  ) {
    const { handler, calls, lines } = handlerWith({ claude: () => Promise.reject(error) });
    const response = await handler(post({ workspace_id: 7 }, asUser));
    assert.equal(response.status, 502);
    assert.equal((await response.json()).error, error.message);
    assert.equal(calls.saved.length, 0);
    assert.ok(lines.some((line) => line.includes(error.reason)));
  }
});

Deno.test("database trouble: unreachable is 503 with Retry-After, anything else 500", async () => {
  const unreachable = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  const down = await handlerWith({ prepared: () => Promise.reject(unreachable) }).handler(
    post({ workspace_id: 7 }, asUser),
  );
  assert.equal(down.status, 503);
  assert.equal(down.headers.get("retry-after"), "5");

  const bug = Object.assign(new Error("division by zero"), { code: "22012" });
  const broken = await handlerWith({ prepared: () => Promise.reject(bug) }).handler(
    post({ workspace_id: 7 }, asUser),
  );
  assert.equal(broken.status, 500);
});

Deno.test("routes: only POST /insights/generate; OPTIONS answers CORS", async () => {
  const { handler, calls } = handlerWith();
  assert.equal((await handler(post({ workspace_id: 7 }, asUser, "/insights"))).status, 404);
  assert.equal((await handler(post({ workspace_id: 7 }, asUser, "/insights/other"))).status, 404);
  const get = await handler(new Request("http://localhost/insights/generate", { headers: asUser }));
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST, OPTIONS");
  const options = await handler(
    new Request("http://localhost/insights/generate", { method: "OPTIONS" }),
  );
  assert.equal(options.status, 200);
  assert.equal(options.headers.get("access-control-allow-origin"), "*");
  assert.match(options.headers.get("access-control-allow-headers") ?? "", /authorization/);
  assert.equal(calls.prepared.length, 0);
});

Deno.test("log lines carry neither tokens nor the cron secret; dropped insights are counted", async () => {
  const { handler, lines } = handlerWith({
    claude: () =>
      Promise.resolve({
        items: [{ key: "k", value: "v", metric: "m", trend: "neutral", fact_ids: ["sends"] }],
        model: "m",
        dropped: { unknown_fact: 1, ungrounded: 2 },
      }),
  });
  await handler(post({ workspace_id: 7 }, asUser));
  await handler(post({ workspace_id: 7 }, { "x-cron-secret": cronSecret }));
  assert.ok(lines.some((line) => line.includes('"unknown_fact":1,"ungrounded":2')));
  for (const line of lines) {
    assert.ok(!line.includes(userToken));
    assert.ok(!line.includes(cronSecret));
  }
});
