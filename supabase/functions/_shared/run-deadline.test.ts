import assert from "node:assert/strict";
import { platformWallClockMs, runDeadline } from "./run-deadline.ts";

const at = (headers: Record<string, string>, marginMs?: number) =>
  runDeadline(new Request("http://x/f", { headers }), { now: () => 1_000_000, marginMs }).at -
  1_000_000;

Deno.test("the deadline is the caller's timeout less a margin, never past the platform's limit", () => {
  assert.equal(at({ "x-caller-timeout-ms": "120000" }), 115_000);
  assert.equal(at({ "x-caller-timeout-ms": "3000" }), 2_400, "a fifth of a short timeout at most");
  assert.equal(at({ "x-caller-timeout-ms": "900000" }), platformWallClockMs - 5_000);
  assert.equal(at({}), platformWallClockMs - 5_000, "an operator's call: the platform's limit");
  assert.equal(at({ "x-caller-timeout-ms": "soon" }), platformWallClockMs - 5_000);
  assert.equal(at({ "x-caller-timeout-ms": "60000" }, 1_000), 59_000);
});

Deno.test("near() and the signal follow the clock", async () => {
  const deadline = runDeadline(
    new Request("http://x/f", { headers: { "x-caller-timeout-ms": "250" } }),
  );
  assert.equal(deadline.near(), false);
  assert.equal(deadline.near(10_000), true);
  await new Promise((resolve) => setTimeout(resolve, 260));
  assert.equal(deadline.signal.aborted, true);
  assert.equal(deadline.near(), true);
});
