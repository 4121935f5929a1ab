// Requests from pg_cron (through private.invoke_edge_function) and from operators prove
// themselves with the cron secret in the x-cron-secret header. Compared in constant time, and
// closed when the function has no secret configured.
import { createHash, timingSafeEqual } from "node:crypto";
import { json } from "./http.ts";

export const cronSecretHeader = "x-cron-secret";

/** Shorter configured secrets are treated as missing: a guessable secret is no secret. */
const minimumSecretLength = 16;

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export function hasValidCronSecret(request: Request, expected: string | undefined): boolean {
  if (!expected || expected.length < minimumSecretLength) return false;
  const given = request.headers.get(cronSecretHeader);
  if (!given) return false;
  // Hashing first makes both sides the same length, so the comparison leaks nothing about it.
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * What a cron-called function answers before anything else: 405 to a method other than POST, 401
 * without the cron secret. Null when the request may go on.
 */
export function refuseUnlessCronPost(
  request: Request,
  expected: string | undefined,
): Response | null {
  if (request.method !== "POST") {
    return json(405, { error: "method not allowed: use POST" }, { allow: "POST" });
  }
  if (!hasValidCronSecret(request, expected)) {
    return json(401, { error: "unauthorized: the x-cron-secret header is missing or wrong" });
  }
  return null;
}
