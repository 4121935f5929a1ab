// The Claude generator against a scripted Messages API (the SDK's fetch is replaced): the request
// it sends, how it validates answers, and how it retries.
import assert from "node:assert/strict";
import { createClaudeGenerator, defaultModel, toolName } from "./claude.ts";
import { type Fact, ModelError } from "./types.ts";

const facts: Fact[] = [
  { id: "period", kind: "period", numbers: { period_days: 14, workspace_name: "Acme" } },
  { id: "sends", kind: "volume", numbers: { current: 1000, previous: 800 } },
  { id: "reply_rate", kind: "rate", numbers: { current_pct: 2.4, previous_pct: 1.25 } },
];

const insight = (key: string, factIds: string[] = ["sends"]) => ({
  key,
  value: `${key} value`,
  metric: "emails_sent",
  trend: "up",
  fact_ids: factIds,
});

const message = (input: unknown, extra: Record<string, unknown> = {}) =>
  Response.json({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-answering-model",
    content: [{ type: "tool_use", id: "toolu_1", name: toolName, input }],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 10 },
    ...extra,
  });

const apiError = (status: number, type: string, text: string, headers: HeadersInit = {}) =>
  Response.json({ type: "error", error: { type, message: text } }, { status, headers });

const valid = () => message({ insights: [insight("a"), insight("b"), insight("c")] });

function scripted(responses: (() => Response | Promise<Response>)[]) {
  const requests: { url: string; headers: Headers; body: Record<string, unknown> }[] = [];
  const sleeps: number[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const next = responses.shift();
    if (!next) throw new Error("no scripted response left");
    requests.push({
      url: String(input instanceof Request ? input.url : input),
      headers: new Headers(init?.headers),
      body: JSON.parse(String(init?.body)),
    });
    return Promise.resolve(next());
  };
  const generate = createClaudeGenerator({
    apiKey: "sk-test-not-a-real-key",
    baseURL: "http://anthropic.test",
    fetch: fetch as typeof globalThis.fetch,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  return { generate, requests, sleeps };
}

Deno.test("sends the facts with a forced tool whose schema asks for 3-5 grounded insights", async () => {
  const { generate, requests } = scripted([valid]);
  const result = await generate({ facts });
  assert.deepEqual(result.items.map((item) => item.key), ["a", "b", "c"]);
  assert.equal(result.model, "claude-answering-model");
  assert.deepEqual(result.dropped, { unknown_fact: 0, ungrounded: 0 });

  assert.equal(requests.length, 1);
  const [{ url, headers, body }] = requests;
  assert.equal(url, "http://anthropic.test/v1/messages");
  assert.equal(headers.get("authorization"), "Bearer sk-test-not-a-real-key");
  assert.equal(body.model, defaultModel);
  assert.equal("temperature" in body, false, "API 2026-10-21 rejects sampling parameters");
  assert.deepEqual(body.tool_choice, {
    type: "tool",
    name: toolName,
    disable_parallel_tool_use: true,
  });
  // deno-lint-ignore no-explicit-any
  const [tool] = body.tools as { name: string; input_schema: any }[];
  assert.equal(tool.name, toolName);
  const list = tool.input_schema.properties.insights;
  assert.deepEqual([list.minItems, list.maxItems], [3, 5]);
  assert.deepEqual(list.items.required, ["key", "value", "metric", "trend", "fact_ids"]);
  assert.deepEqual(list.items.properties.trend.enum, ["up", "down", "neutral"]);
  assert.deepEqual(list.items.properties.fact_ids.items.enum, ["period", "sends", "reply_rate"]);
  const [userMessage] = body.messages as { role: string; content: string }[];
  assert.equal(userMessage.role, "user");
  assert.ok(userMessage.content.includes(JSON.stringify(facts)), "the facts, as JSON");
  assert.match(String(body.system), /Use only numbers that appear in the facts/);
});

Deno.test("an insight citing an unknown fact is dropped; the rest are kept", async () => {
  const { generate } = scripted([() =>
    message({
      insights: [insight("a"), insight("made up", ["sends", "no_such_fact"]), insight("c")],
    })]);
  const result = await generate({ facts });
  assert.deepEqual(result.items.map((item) => item.key), ["a", "c"]);
  assert.deepEqual(result.dropped, { unknown_fact: 1, ungrounded: 0 });
});

Deno.test("an insight inventing a number is dropped and counted; the grounded ones are kept", async () => {
  const said = (key: string, value: string, factIds: string[]) => ({
    ...insight(key, factIds),
    value,
  });
  const { generate } = scripted([() =>
    message({
      insights: [
        said("volume", "1,000 emails sent, against 800 before.", ["sends"]),
        said("invented", "1,000 emails sent, so about 4,000 by month end.", ["sends"]),
        said("rate", "Reply rate 2.40% against 1.25%.", ["reply_rate"]),
        said("uncited", "Reply rate 2.4% on 1,000 sends.", ["reply_rate"]),
      ],
    })]);
  const result = await generate({ facts });
  assert.deepEqual(result.items.map((item) => item.key), ["volume", "rate"]);
  assert.deepEqual(result.dropped, { unknown_fact: 0, ungrounded: 2 });
});

Deno.test("an answer whose every insight writes what its facts do not hold is asked for again", async () => {
  const invented = () =>
    message({
      insights: ["a", "b", "c"].map((key) => ({ ...insight(key), value: `${key}: 12,345 sends` })),
    });
  const { generate, requests } = scripted([invented, valid]);
  const result = await generate({ facts });
  assert.deepEqual(result.items.map((item) => item.key), ["a", "b", "c"]);
  assert.match(
    JSON.stringify(requests[1].body),
    /wrote a number or claim its facts do not hold/,
    "the second request says what was wrong",
  );
});

Deno.test("a malformed answer is asked for again, saying what was wrong", async () => {
  const { generate, requests } = scripted([
    () => message({ insights: [insight("only one")] }),
    valid,
  ]);
  const result = await generate({ facts });
  assert.equal(result.items.length, 3);
  assert.equal(requests.length, 2);
  const retry = (requests[1].body.messages as { content: string }[])[0].content;
  assert.match(retry, /previous answer was rejected: insights: Too small/);
});

Deno.test("malformed twice is a ModelError (malformed): no third try", async () => {
  const malformed = [
    () => message({ insights: "three insights" }),
    () =>
      Response.json({
        id: "msg_2",
        type: "message",
        role: "assistant",
        model: "m",
        content: [{ type: "text", text: "Here are your insights: ..." }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      }),
  ];
  const { generate, requests } = scripted(malformed);
  await assert.rejects(generate({ facts }), (error: unknown) => {
    assert.ok(error instanceof ModelError);
    assert.equal(error.reason, "malformed");
    assert.match(error.message, /malformed twice \(it did not call record_insights\)/);
    return true;
  });
  assert.equal(requests.length, 2);
});

Deno.test("an answer whose every insight cites unknown facts counts as malformed", async () => {
  const bogus = () =>
    message({ insights: [insight("a", ["x"]), insight("b", ["y"]), insight("c", ["z"])] });
  const { generate } = scripted([bogus, bogus]);
  await assert.rejects(generate({ facts }), /cited a fact id that does not exist/);
});

Deno.test("overloaded (529) and rate limited (429) are retried with backoff, honouring Retry-After", async () => {
  const { generate, requests, sleeps } = scripted([
    () => apiError(529, "overloaded_error", "Overloaded"),
    () => apiError(429, "rate_limit_error", "Slow down", { "retry-after": "2" }),
    valid,
  ]);
  const result = await generate({ facts });
  assert.equal(result.items.length, 3);
  assert.equal(requests.length, 3);
  assert.ok(sleeps[0] >= 375 && sleeps[0] <= 500, `first backoff ~0.5 s, got ${sleeps[0]}`);
  assert.equal(sleeps[1], 2000, "Retry-After: 2");
});

Deno.test("still overloaded after 3 attempts is a ModelError (unavailable)", async () => {
  const overloaded = () => apiError(529, "overloaded_error", "Overloaded");
  const { generate, requests, sleeps } = scripted([overloaded, overloaded, overloaded]);
  await assert.rejects(generate({ facts }), (error: unknown) => {
    assert.ok(error instanceof ModelError);
    assert.equal(error.reason, "unavailable");
    assert.match(error.message, /overloaded \(3 attempts\)/);
    return true;
  });
  assert.equal(requests.length, 3);
  assert.equal(sleeps.length, 2);
  assert.ok(sleeps[1] > sleeps[0], "the backoff grows");
});

Deno.test("a Retry-After longer than 20 s gives up at once", async () => {
  const { generate, requests } = scripted([
    () => apiError(429, "rate_limit_error", "Slow down", { "retry-after": "3600" }),
  ]);
  await assert.rejects(generate({ facts }), /rate limiting this project \(1 attempt\)/);
  assert.equal(requests.length, 1);
});

Deno.test("a refused request (401) is not retried and never echoes the key", async () => {
  const { generate, requests } = scripted([
    () => apiError(401, "authentication_error", "invalid x-api-key sk-test-not-a-real-key"),
  ]);
  await assert.rejects(generate({ facts }), (error: unknown) => {
    assert.ok(error instanceof ModelError);
    assert.equal(error.reason, "rejected");
    assert.equal(error.message, "the model provider refused the request (HTTP 401)");
    return true;
  });
  assert.equal(requests.length, 1);
});

Deno.test("a model that refuses a forced tool_choice is asked again with tool_choice auto", async () => {
  const { generate, requests } = scripted([
    () =>
      apiError(
        400,
        "invalid_request_error",
        "tool_choice: forced tool use is not supported with this model",
      ),
    valid,
    valid,
  ]);
  assert.equal((await generate({ facts })).items.length, 3);
  assert.equal((await generate({ facts })).items.length, 3);
  assert.deepEqual(
    requests.map((request) => (request.body.tool_choice as { type: string }).type),
    ["tool", "auto", "auto"],
  );
});

Deno.test("an unreachable API is retried, then reported", async () => {
  const down = () => Promise.reject(new TypeError("connection refused"));
  const { generate, requests } = scripted([down, down, down]);
  await assert.rejects(generate({ facts }), /unreachable \(3 attempts\)/);
  assert.equal(requests.length, 3);
});
