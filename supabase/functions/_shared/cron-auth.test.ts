import assert from "node:assert/strict";
import { hasValidCronSecret, refuseUnlessCronPost } from "./cron-auth.ts";

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

Deno.test("refuseUnlessCronPost: 405 for other methods, 401 without the secret, else null", async () => {
  const call = (method: string, headers: Record<string, string> = {}) =>
    refuseUnlessCronPost(new Request("http://localhost/fn", { method, headers }), secret);
  const get = call("GET", { "x-cron-secret": secret });
  assert.equal(get?.status, 405);
  assert.equal(get?.headers.get("allow"), "POST");
  const unauthorized = call("POST");
  assert.equal(unauthorized?.status, 401);
  assert.match((await unauthorized?.json()).error, /x-cron-secret/);
  assert.equal(call("POST", { "x-cron-secret": secret }), null);
});
