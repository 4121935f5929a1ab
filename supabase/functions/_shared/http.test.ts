import assert from "node:assert/strict";
import { z } from "zod";
import { BodyTooLarge, readBodyLimited, readJsonBody, retryAfterMs } from "./http.ts";

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/fn", { method: "POST", body, headers });

function streamOf(chunks: number, chunkBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ === chunks) return controller.close();
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x61));
    },
  });
}

Deno.test("a body of declared length is read whole, as UTF-8", async () => {
  const text = JSON.stringify({ greeting: "héllo ✓" });
  const bytes = new TextEncoder().encode(text);
  const read = await readBodyLimited(
    post(bytes, { "content-length": String(bytes.byteLength) }),
    1024,
  );
  assert.equal(read, text);
});

Deno.test("a body of unknown length is counted as it arrives and refused past the limit", async () => {
  assert.equal(await readBodyLimited(post(streamOf(3, 100)), 1024), "a".repeat(300));
  await assert.rejects(readBodyLimited(post(streamOf(20, 100)), 1024), BodyTooLarge);
});

Deno.test("a declared length over the limit is refused before reading", async () => {
  await assert.rejects(
    readBodyLimited(post("{}", { "content-length": String(2048) }), 1024),
    BodyTooLarge,
  );
});

Deno.test("a body longer than its declared length is still refused past the limit", async () => {
  await assert.rejects(
    readBodyLimited(post("a".repeat(4096), { "content-length": "10" }), 1024),
    BodyTooLarge,
  );
});

Deno.test("no body reads as empty text", async () => {
  assert.equal(await readBodyLimited(new Request("http://localhost/fn"), 1024), "");
});

Deno.test("readJsonBody: empty is {}, and bad JSON, a wrong field or too much is refused", async () => {
  const schema = z.object({ limit: z.number().int().optional() }).strict();
  const read = (body: string, maxBytes?: number) => readJsonBody(post(body), schema, maxBytes);
  assert.deepEqual(await read(""), { data: {} });
  assert.deepEqual(await read('{"limit": 3}'), { data: { limit: 3 } });
  const refusal = async (body: string, maxBytes?: number) => {
    const result = await read(body, maxBytes);
    assert.ok("refusal" in result, `refused: ${body}`);
    return { status: result.refusal.status, ...(await result.refusal.json()) };
  };
  assert.deepEqual(await refusal("{nope"), { status: 400, error: "the body is not valid JSON" });
  const wrong = await refusal('{"limit": "x"}');
  assert.equal(wrong.status, 400);
  assert.match(wrong.error, /^limit: /);
  assert.equal((await refusal('{"limit": 1}', 5)).status, 413);
});

Deno.test("retryAfterMs reads seconds or an HTTP date, and nothing else", () => {
  const headers = (value?: string) =>
    new Headers(value === undefined ? {} : { "retry-after": value });
  assert.equal(retryAfterMs(headers("3")), 3000);
  assert.equal(retryAfterMs(headers()), null);
  assert.equal(retryAfterMs(headers("soon")), null);
  const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
  const wait = retryAfterMs(headers(inTenSeconds))!;
  assert.ok(wait > 8_000 && wait <= 10_000, `${wait} ms`);
  assert.equal(retryAfterMs(headers(new Date(Date.now() - 60_000).toUTCString())), 0);
});
