import assert from "node:assert/strict";
import { BodyTooLarge, readBodyLimited } from "./http.ts";

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
