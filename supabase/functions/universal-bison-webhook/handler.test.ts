// The handler's answers, with an in-memory store: what Bison sees for every kind of delivery.
import assert from "node:assert/strict";
import { createWebhookHandler, type WebhookStore } from "./handler.ts";
import { sha256Hex } from "../_shared/http.ts";

const goodToken = "good-token-0123456789abcdefghijklmnopqrstuvw";

function fakeStore(overrides: Partial<WebhookStore> = {}) {
  const calls = { ingested: [] as unknown[], rejections: [] as string[], tests: [] as string[] };
  const store: WebhookStore = {
    ingest(tokenSha256, json) {
      if (tokenSha256 !== sha256Hex(goodToken)) return Promise.resolve({ outcome: "unauthorized" });
      calls.ingested.push(JSON.parse(json));
      return Promise.resolve({ outcome: "processed", event_id: calls.ingested.length });
    },
    recordRejection(tokenSha256, reason) {
      calls.rejections.push(reason);
      return Promise.resolve(tokenSha256 === sha256Hex(goodToken));
    },
    recordTestDelivery(tokenSha256, nonce) {
      if (tokenSha256 !== sha256Hex(goodToken) || nonce !== "ab".repeat(16)) {
        return Promise.resolve(false);
      }
      calls.tests.push(nonce);
      return Promise.resolve(true);
    },
    ...overrides,
  };
  return { store, calls };
}

const post = (body: string, token = goodToken, headers: HeadersInit = {}) =>
  new Request(`http://localhost/universal-bison-webhook/${token}`, {
    method: "POST",
    body,
    headers,
  });

const silent = () => {};

Deno.test("a valid event is ingested and answered 200 with its outcome", async () => {
  const { store, calls } = fakeStore();
  const handler = createWebhookHandler({ store, log: silent });
  const response = await handler(post('{"event":{"type":"EMAIL_SENT"},"data":{}}'));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "processed", event_id: 1 });
  assert.equal(calls.ingested.length, 1);
});

Deno.test("an unknown token is 401 with a generic message, whatever the body", async () => {
  const { store, calls } = fakeStore();
  const handler = createWebhookHandler({ store, log: silent });
  for (const body of ['{"event":{"type":"EMAIL_SENT"}}', "not json", "{}"]) {
    const response = await handler(post(body, "wrong-token"));
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { error: "unauthorized" });
  }
  assert.equal(calls.ingested.length, 0);
});

Deno.test("bad bodies are 400 with what is wrong, and counted", async () => {
  const { store, calls } = fakeStore();
  const handler = createWebhookHandler({ store, log: silent });
  const cases: [string, RegExp][] = [
    ["not json", /not valid JSON/],
    ["[1,2]", /JSON object/],
    ['"text"', /JSON object/],
    ['{"data":{}}', /event/],
    ['{"event":{"type":""}}', /event\.type: must not be empty/],
    ['{"event":{"type":5}}', /event\.type: must be a string/],
  ];
  for (const [body, message] of cases) {
    const response = await handler(post(body));
    assert.equal(response.status, 400, body);
    assert.match((await response.json()).error, message, body);
  }
  assert.equal(calls.ingested.length, 0);
  assert.equal(calls.rejections.length, cases.length);
});

Deno.test("a body over 1 MiB is 413, by header or by size", async () => {
  const { store, calls } = fakeStore();
  const handler = createWebhookHandler({ store, log: silent });
  const big = JSON.stringify({
    event: { type: "EMAIL_SENT" },
    data: { x: "a".repeat(1024 * 1024) },
  });
  assert.equal((await handler(post(big))).status, 413);
  const declared = await handler(post("{}", goodToken, { "content-length": String(2 ** 21) }));
  assert.equal(declared.status, 413);
  assert.deepEqual(calls.rejections, ["payload_too_large", "payload_too_large"]);
});

Deno.test("other methods are 405", async () => {
  const handler = createWebhookHandler({ store: fakeStore().store, log: silent });
  const response = await handler(
    new Request(`http://localhost/universal-bison-webhook/${goodToken}`),
  );
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "POST");
});

Deno.test("the database being unreachable is 503 so Bison retries; other errors are 500", async () => {
  const unreachable = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  const down = createWebhookHandler({
    store: fakeStore({ ingest: () => Promise.reject(unreachable) }).store,
    log: silent,
  });
  const response = await down(post('{"event":{"type":"EMAIL_SENT"}}'));
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "5");

  const bug = Object.assign(new Error("division by zero"), { code: "22012" });
  const broken = createWebhookHandler({
    store: fakeStore({ ingest: () => Promise.reject(bug) }).store,
    log: silent,
  });
  assert.equal((await broken(post('{"event":{"type":"EMAIL_SENT"}}'))).status, 500);
});

Deno.test("log lines carry neither the token nor the payload", async () => {
  const lines: string[] = [];
  const handler = createWebhookHandler({
    store: fakeStore({
      ingest: () => Promise.reject(Object.assign(new Error("down"), { code: "57P01" })),
    }).store,
    log: (entry) => lines.push(JSON.stringify(entry)),
  });
  await handler(post('{"event":{"type":"EMAIL_SENT"},"data":{"lead":{"email":"x@y.z"}}}'));
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes(goodToken));
  assert.ok(!lines[0].includes("x@y.z"));
});

Deno.test("an expected test delivery is recorded and never ingested", async () => {
  const { store, calls } = fakeStore();
  const handler = createWebhookHandler({ store, log: silent });
  const sample = '{"event":{"type":"EMAIL_SENT","workspace_id":1},"data":{}}';
  const response = await handler(post(sample, `${goodToken}/test/${"ab".repeat(16)}`));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "test_received" });
  assert.deepEqual(calls.tests, ["ab".repeat(16)]);
  for (const path of [`${goodToken}/test/${"cd".repeat(16)}`, `${goodToken}/test/x`]) {
    assert.equal((await handler(post(sample, path))).status, 404, path);
  }
  assert.equal((await handler(post(sample, `wrong/test/${"ab".repeat(16)}`))).status, 404);
  assert.equal(calls.ingested.length, 0, "no sample is stored as an event");
});
