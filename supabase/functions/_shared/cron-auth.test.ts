import assert from "node:assert/strict";
import { hasValidCronSecret } from "./cron-auth.ts";

const secret = "a-cron-secret-that-is-long-enough";
const request = (headers: Record<string, string>) =>
  new Request("http://localhost/fn", { method: "POST", headers });

Deno.test("accepts only the exact secret in x-cron-secret", () => {
  assert.deepEqual(hasValidCronSecret(request({ "x-cron-secret": secret }), secret), true);
  assert.deepEqual(hasValidCronSecret(request({ "x-cron-secret": `${secret}x` }), secret), false);
  assert.deepEqual(hasValidCronSecret(request({ "x-cron-secret": "" }), secret), false);
  assert.deepEqual(
    hasValidCronSecret(request({ authorization: `Bearer ${secret}` }), secret),
    false,
  );
  assert.deepEqual(hasValidCronSecret(request({}), secret), false);
});

Deno.test("fails closed when the function has no (or a trivially short) secret configured", () => {
  assert.deepEqual(hasValidCronSecret(request({ "x-cron-secret": "" }), ""), false);
  assert.deepEqual(hasValidCronSecret(request({ "x-cron-secret": "short" }), "short"), false);
  assert.deepEqual(hasValidCronSecret(request({ "x-cron-secret": "x" }), undefined), false);
});
