// Small HTTP helpers shared by the functions: JSON answers and a body reader that refuses to
// buffer more than a limit, whatever Content-Length claims.
import { createHash } from "node:crypto";
import type { z } from "zod";

export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return Response.json(body, { status, headers });
}

export class BodyTooLarge extends Error {}

export async function readBodyLimited(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyTooLarge();
  if (!request.body) return "";
  if (Number.isFinite(declared)) {
    // Declared and small enough: read whole, far cheaper than counting chunk by chunk. The server
    // holds the body to its declared length; the check after covers a Request built by hand.
    const bytes = await request.arrayBuffer();
    if (bytes.byteLength > maxBytes) throw new BodyTooLarge();
    return new TextDecoder().decode(bytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * The optional JSON body of a request (empty means {}), read up to maxBytes and checked against
 * the schema: its data, or the answer to give instead (413, or 400 saying what is wrong).
 */
export async function readJsonBody<T>(
  request: Request,
  schema: z.ZodType<T>,
  maxBytes = 64 * 1024,
): Promise<{ data: T } | { refusal: Response }> {
  let text: string;
  try {
    text = await readBodyLimited(request, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      return { refusal: json(413, { error: `the body is larger than ${maxBytes} bytes` }) };
    }
    throw error;
  }
  let body: unknown = {};
  if (text.trim()) {
    try {
      body = JSON.parse(text);
    } catch {
      return { refusal: json(400, { error: "the body is not valid JSON" }) };
    }
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0];
  return { refusal: json(400, { error: `${issue.path.join(".") || "body"}: ${issue.message}` }) };
}

/** How long a Retry-After header (seconds or an HTTP date) asks to wait, in ms; null without one. */
export function retryAfterMs(headers: Headers | undefined | null): number | null {
  const value = headers?.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/**
 * Hex SHA-256, for storing and looking up bearer tokens without keeping them. Synchronous on
 * purpose: crypto.subtle.digest hands each call to another thread, some 70 us per webhook.
 */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
