// The handler's answers with an in-memory store: who may call it, what a body may say, which
// connections and days it computes, and how failures of one connection are reported.
import assert from "node:assert/strict";
import {
  createProviderPerformanceHandler,
  type ProviderPerformanceStore,
  type Target,
} from "./handler.ts";

const secret = "cron-secret-for-unit-tests-0123456789";
const connectionA = "6f1c9a52-3d2e-4b7a-9c1d-0a1b2c3d4e5f";
const connectionB = "0d3f5e7a-9b1c-4d2e-8f6a-7b8c9d0e1f2a";
const asOf = new Date("2026-11-22T06:05:00Z");

/** Error shaped like postgres.js's: a message and a SQLSTATE code. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

function fakeStore(overrides: Partial<ProviderPerformanceStore> = {}) {
  const calls = {
    due: [] as Date[],
    targets: [] as { connectionId?: string; day?: string }[],
    calculated: [] as { target: Target; asOf: Date }[],
  };
  const store: ProviderPerformanceStore = {
    due(at) {
      calls.due.push(at);
      return Promise.resolve([{ connectionId: connectionA, day: "2026-11-21" }]);
    },
    targets(request) {
      calls.targets.push(request);
      const all = [connectionA, connectionB];
      const ids = request.connectionId ? all.filter((id) => id === request.connectionId) : all;
      return Promise.resolve(ids.map((connectionId) => ({
        connectionId,
        day: request.day ?? "2026-11-21",
      })));
    },
    calculate(target, at) {
      calls.calculated.push({ target, asOf: at });
      return Promise.resolve(3);
    },
    ...overrides,
  };
  return { store, calls };
}

const post = (body?: string, headers: HeadersInit = { "x-cron-secret": secret }) =>
  new Request("http://localhost/calculate-provider-performance", {
    method: "POST",
    body,
    headers,
  });

const silent = (_entry: Record<string, unknown>) => {};
const handlerWith = (store: ProviderPerformanceStore, log = silent) =>
  createProviderPerformanceHandler({ cronSecret: secret, store, now: () => asOf, log });

Deno.test("only POST is served", async () => {
  const { store, calls } = fakeStore();
  const handler = handlerWith(store);
  for (const method of ["GET", "PUT", "DELETE"]) {
    const response = await handler(
      new Request("http://localhost/calculate-provider-performance", {
        method,
        headers: { "x-cron-secret": secret },
      }),
    );
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "POST");
  }
  assert.equal(calls.due.length + calls.calculated.length, 0);
});

Deno.test("without the right cron secret it is 401 and computes nothing", async () => {
  const { store, calls } = fakeStore();
  const handler = handlerWith(store);
  for (
    const headers of [{}, { "x-cron-secret": "not-the-secret-0123456789" }] as HeadersInit[]
  ) {
    const response = await handler(post("{}", headers));
    assert.equal(response.status, 401);
  }
  // A configured secret that is too short is no secret: everything is refused.
  const weak = createProviderPerformanceHandler({ cronSecret: "short", store, log: silent });
  assert.equal((await weak(post("{}", { "x-cron-secret": "short" }))).status, 401);
  assert.equal(calls.due.length + calls.targets.length + calls.calculated.length, 0);
});

Deno.test("bad bodies are 400 with what is wrong, and compute nothing", async () => {
  const { store, calls } = fakeStore();
  const handler = handlerWith(store);
  const cases: [string, RegExp][] = [
    ["not json", /not valid JSON/],
    ['{"connection_id": "acme"}', /connection_id: must be a UUID/],
    ['{"connection_id": 7}', /connection_id/],
    ['{"day": "21/11/2026"}', /day: must be a calendar date/],
    ['{"day": "2026-02-30"}', /day: must be a calendar date/],
    ['{"day": "2026-11-21", "force": true}', /force/],
    ["[]", /body|expected object/i],
  ];
  for (const [body, message] of cases) {
    const response = await handler(post(body));
    assert.equal(response.status, 400, body);
    assert.match((await response.json()).error, message, body);
  }
  assert.equal(calls.due.length + calls.targets.length + calls.calculated.length, 0);
});

Deno.test("a body over 16 KiB is 413", async () => {
  const { store, calls } = fakeStore();
  const response = await handlerWith(store)(post(JSON.stringify({ pad: "x".repeat(20_000) })));
  assert.equal(response.status, 413);
  assert.equal(calls.calculated.length, 0);
});

Deno.test("without a body it computes the due connections at the handler's clock", async () => {
  const { store, calls } = fakeStore();
  for (const body of [undefined, "", "{}"]) {
    const response = await handlerWith(store)(post(body));
    assert.equal(response.status, 200);
    const summary = await response.json();
    assert.equal(summary.connections, 1);
    assert.equal(summary.rows_written, 3);
    assert.equal(summary.failed, 0);
    assert.equal(typeof summary.duration_ms, "number");
    assert.deepEqual(summary.results, [
      { connection_id: connectionA, day: "2026-11-21", rows_written: 3 },
    ]);
  }
  assert.deepEqual(calls.due, [asOf, asOf, asOf]);
  assert.equal(calls.targets.length, 0);
  assert.deepEqual(calls.calculated.map((call) => call.asOf), [asOf, asOf, asOf]);
});

Deno.test("nothing due is a 200 with an empty summary", async () => {
  const { store, calls } = fakeStore({ due: () => Promise.resolve([]) });
  const response = await handlerWith(store)(post("{}"));
  assert.equal(response.status, 200);
  const summary = await response.json();
  assert.deepEqual({ ...summary, duration_ms: 0 }, {
    connections: 0,
    rows_written: 0,
    failed: 0,
    duration_ms: 0,
    results: [],
  });
  assert.equal(calls.calculated.length, 0);
});

Deno.test("connection_id and day choose what is recomputed", async () => {
  const { store, calls } = fakeStore();
  const handler = handlerWith(store);

  let response = await handler(
    post(JSON.stringify({ connection_id: connectionB, day: "2026-10-01" })),
  );
  assert.equal(response.status, 200);
  assert.deepEqual(calls.calculated.map((call) => call.target), [
    { connectionId: connectionB, day: "2026-10-01" },
  ]);

  calls.calculated.length = 0;
  response = await handler(post(JSON.stringify({ day: "2026-10-02" })));
  assert.equal(response.status, 200);
  assert.equal((await response.json()).rows_written, 6);
  assert.deepEqual(calls.calculated.map((call) => call.target), [
    { connectionId: connectionA, day: "2026-10-02" },
    { connectionId: connectionB, day: "2026-10-02" },
  ]);

  calls.calculated.length = 0;
  response = await handler(post(JSON.stringify({ connection_id: connectionA })));
  assert.equal(response.status, 200);
  assert.deepEqual(calls.calculated.map((call) => call.target), [
    { connectionId: connectionA, day: "2026-11-21" },
  ]);
  assert.equal(calls.due.length, 0, "an explicit request ignores the schedule");
});

Deno.test("an unknown connection is 404", async () => {
  const { store, calls } = fakeStore();
  const response = await handlerWith(store)(
    post(JSON.stringify({ connection_id: "11111111-2222-4333-8444-555555555555" })),
  );
  assert.equal(response.status, 404);
  assert.match((await response.json()).error, /no connection/);
  assert.equal(calls.calculated.length, 0);
});

Deno.test("a day that has not ended is 400 with the database's reason", async () => {
  const { store } = fakeStore({
    calculate: () =>
      Promise.reject(
        pgError("22023", "day 2026-11-22 has not ended yet in UTC (it is 2026-11-22 there)"),
      ),
  });
  const response = await handlerWith(store)(
    post(JSON.stringify({ connection_id: connectionA, day: "2026-11-22" })),
  );
  assert.equal(response.status, 400);
  const summary = await response.json();
  assert.equal(summary.failed, 1);
  assert.match(summary.results[0].error, /has not ended yet/);
});

Deno.test("one connection failing does not stop the others, and the run answers 500", async () => {
  const logged: Record<string, unknown>[] = [];
  const { store, calls } = fakeStore({
    calculate(target) {
      calls.calculated.push({ target, asOf });
      return target.connectionId === connectionA
        ? Promise.reject(pgError("55000", "setting burnt_min_emails_sent must be a whole number"))
        : Promise.resolve(4);
    },
  });
  const response = await handlerWith(store, (entry) => {
    logged.push(entry);
  })(
    post(JSON.stringify({ day: "2026-11-20" })),
  );
  assert.equal(response.status, 500, "a misconfiguration is the server's fault, not the caller's");
  const summary = await response.json();
  assert.equal(calls.calculated.length, 2);
  assert.equal(summary.connections, 2);
  assert.equal(summary.rows_written, 4);
  assert.equal(summary.failed, 1);
  assert.deepEqual(summary.results, [
    { connection_id: connectionA, day: "2026-11-20", error: "internal error" },
    { connection_id: connectionB, day: "2026-11-20", rows_written: 4 },
  ]);
  assert.ok(
    logged.some((entry) => entry.connection_id === connectionA && entry.code === "55000"),
    "the real reason is logged",
  );
});

Deno.test("the database being unreachable is 503 so the next run retries", async () => {
  const unreachable = () =>
    Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
  for (const overrides of [{ due: unreachable }, { calculate: unreachable }]) {
    const { store } = fakeStore(overrides);
    const response = await handlerWith(store)(post("{}"));
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "60");
  }
});
