// Small HTTP helpers shared by the functions: JSON answers and a body reader that refuses to
// buffer more than a limit, whatever Content-Length claims.
import { createHash } from "node:crypto";

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
 * Hex SHA-256, for storing and looking up bearer tokens without keeping them. Synchronous on
 * purpose: crypto.subtle.digest hands each call to another thread, some 70 us per webhook.
 */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
