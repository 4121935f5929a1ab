import assert from "node:assert/strict";
import { storableJson } from "./json.ts";

Deno.test("bodies jsonb would refuse (NUL, lone surrogates) are made storable, others pass as sent", () => {
  const plain = '{"event":{"type":"EMAIL_SENT"},"data":{"x":"caf\\u00e9 😀"}}';
  assert.equal(storableJson(plain), plain);
  const nul = '{"event":{"type":"LEAD_REPLIED"},"data":{"reply":{"text_body":"a\\u0000b"}}}';
  assert.equal(JSON.parse(storableJson(nul)).data.reply.text_body, "ab");
  const lone = '{"event":{"type":"LEAD_REPLIED"},"data":{"reply":{"text_body":"x\\ud83dy"}}}';
  assert.equal(JSON.parse(storableJson(lone)).data.reply.text_body, "x\ufffdy");
});
