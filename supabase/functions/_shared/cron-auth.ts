// Requests from pg_cron (through private.invoke_edge_function) and from operators prove
// themselves with the cron secret in the x-cron-secret header. Compared in constant time, and
// closed when the function has no secret configured.
import { createHash, timingSafeEqual } from "node:crypto";

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
