// The flush loop with a fake clock and store: how long it runs, how it waits, what it answers.
import assert from "node:assert/strict";
import { createFlushHandler, type FlushStore, idlePollMs, runUntil } from "./handler.ts";

const secret = "flush-test-secret-0123456789";

function fakeClock(start: number) {
  let time = start;
  return {
    now: () => time,
    sleep: (ms: number) => {
      time += ms;
      return Promise.resolve();
    },
  };
}

const call = (
  body = "{}",
  headers: HeadersInit = { "x-cron-secret": secret },
) =>
  new Request("http://localhost/flush-broadcasts", {
    method: "POST",
    body,
    headers,
  });

Deno.test("a cron call runs until just after the next minute starts", () => {
  assert.equal(
    runUntil(Date.UTC(2026, 0, 1, 10, 0, 0, 300)),
    Date.UTC(2026, 0, 1, 10, 1, 2),
  );
  assert.equal(
    runUntil(Date.UTC(2026, 0, 1, 10, 0, 59, 900)),
    Date.UTC(2026, 0, 1, 10, 1, 2),
  );
  assert.equal(runUntil(1_000, 5), 6_000);
});

Deno.test("it flushes when the next message is due, polls when nothing is pending", async () => {
  const clock = fakeClock(0);
  const flushedAt: number[] = [];
  let pending = true;
  const store: FlushStore = {
    flush() {
      flushedAt.push(clock.now());
      // One message pending, due at 1,050 ms: sent by the first flush from then on.
      if (pending && clock.now() >= 1_050) {
        pending = false;
        return Promise.resolve({ sent: 1, nextDueAt: null });
      }
      return Promise.resolve({
        sent: 0,
        nextDueAt: pending ? new Date(1_050) : null,
      });
    },
  };
  const handler = createFlushHandler({
    cronSecret: secret,
    store,
    ...clock,
    log: () => {},
  });
  const response = await handler(call('{"seconds": 2}'));
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.sent, 1);
  assert.deepEqual(
    flushedAt.slice(0, 7),
    [0, 200, 400, 600, 800, 1_000, 1_050],
    "looked at every poll until it is due, then flushed when due",
  );
  for (let i = 7; i < flushedAt.length; i++) {
    assert.equal(
      flushedAt[i] - flushedAt[i - 1],
      idlePollMs,
      "idle: one flush per poll",
    );
  }
  assert.ok(flushedAt[flushedAt.length - 1] < 2_000, "and none after the end");
  assert.equal(body.duration_ms, 2_000);
});

Deno.test("a message due sooner than the poll is flushed when due", async () => {
  const clock = fakeClock(0);
  const flushedAt: number[] = [];
  const store: FlushStore = {
    flush() {
      flushedAt.push(clock.now());
      return Promise.resolve({
        sent: 0,
        nextDueAt: flushedAt.length === 1 ? new Date(50) : null,
      });
    },
  };
  const handler = createFlushHandler({
    cronSecret: secret,
    store,
    ...clock,
    log: () => {},
  });
  await handler(call('{"seconds": 1}'));
  assert.equal(flushedAt[1], 50);
});

Deno.test("only the cron secret may run it; bad bodies are refused", async () => {
  const store: FlushStore = {
    flush: () => Promise.reject(new Error("must not run")),
  };
  const handler = createFlushHandler({
    cronSecret: secret,
    store,
    log: () => {},
  });
  assert.equal((await handler(call("{}", {}))).status, 401);
  assert.equal((await handler(call('{"seconds": 600}'))).status, 400);
  assert.equal((await handler(call('{"other": 1}'))).status, 400);
});

Deno.test("an unreachable database is 503, anything else 500", async () => {
  const unreachable = Object.assign(new Error("down"), {
    code: "ECONNREFUSED",
  });
  const down = createFlushHandler({
    cronSecret: secret,
    store: { flush: () => Promise.reject(unreachable) },
    log: () => {},
  });
  assert.equal((await down(call('{"seconds": 1}'))).status, 503);
  const bug = createFlushHandler({
    cronSecret: secret,
    store: {
      flush: () => Promise.reject(Object.assign(new Error("bug"), { code: "42883" })),
    },
    log: () => {},
  });
  assert.equal((await bug(call('{"seconds": 1}'))).status, 500);
});
