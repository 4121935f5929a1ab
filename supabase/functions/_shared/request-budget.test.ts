// The shared budget's client side: slots claimed a batch at a time, one claim at a time, spent
// locally, let go when old, and waited for when the budget has none.
import assert from "node:assert/strict";
import { sharedBudget } from "./request-budget.ts";

function fakeClaims(grants: number[], retryAfterMs = 40) {
  const asked: number[] = [];
  return {
    asked,
    claim: (wanted: number) => {
      asked.push(wanted);
      const granted = Math.min(wanted, grants.shift() ?? wanted);
      return Promise.resolve({ granted, retryAfterMs: granted ? 0 : retryAfterMs });
    },
  };
}

Deno.test("25 requests cost 3 claims of 10, and concurrent takers share one claim", async () => {
  const { asked, claim } = fakeClaims([]);
  const budget = sharedBudget(claim);
  await Promise.all(Array.from({ length: 25 }, () => budget.take()));
  assert.deepEqual(asked, [10, 10, 10]);
});

Deno.test("with no slot free, it waits as long as the database says, then claims again", async () => {
  const { asked, claim } = fakeClaims([0, 0, 4], 40);
  const sleeps: number[] = [];
  const budget = sharedBudget(claim, {
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  await budget.take();
  assert.deepEqual(sleeps, [40, 40]);
  assert.equal(asked.length, 3);
});

Deno.test("slots left unspent for a second are let go, not saved up", async () => {
  let clock = 0;
  const { asked, claim } = fakeClaims([]);
  const budget = sharedBudget(claim, { now: () => clock });
  await budget.take();
  clock = 1_500;
  await budget.take();
  assert.equal(asked.length, 2, "the 9 slots of the first claim had expired");
});
