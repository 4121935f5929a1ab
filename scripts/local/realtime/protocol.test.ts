import assert from "node:assert/strict";
import { decodeFrame, FrameWriter, MalformedFrame } from "./protocol.ts";

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
  );

Deno.test("V2 text frames are arrays; V1 frames are objects", () => {
  assert.deepEqual(decodeFrame("2.0.0", '["1","2","realtime:a","phx_join",{"x":1}]'), {
    joinRef: "1",
    ref: "2",
    topic: "realtime:a",
    event: "phx_join",
    payload: { x: 1 },
  });
  assert.deepEqual(
    decodeFrame("1.0.0", '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"7"}'),
    { joinRef: null, ref: "7", topic: "phoenix", event: "heartbeat", payload: {} },
  );
});

Deno.test("malformed frames are refused as such", () => {
  for (
    const frame of ["not json", "{}", '["1","2","t"]', '[1,2,3,"e",{}]', '{"topic":"t"}']
  ) {
    assert.throws(() => decodeFrame("2.0.0", frame), MalformedFrame, frame);
  }
  assert.throws(() => decodeFrame("2.0.0", bytes([3, 9, 9, 9, 9, 9, 1], "x")), MalformedFrame);
  assert.throws(() => decodeFrame("2.0.0", bytes([7])), MalformedFrame);
  assert.throws(() => decodeFrame("2.0.0", new Uint8Array()), MalformedFrame);
});

Deno.test("a V2 binary user broadcast push is read as realtime-js writes it", () => {
  const frame = bytes([3, 1, 1, 10, 6, 0, 1], "4", "5", "realtime:r", "cursor", '{"x":1}');
  const message = decodeFrame("2.0.0", frame);
  assert.equal(message.topic, "realtime:r");
  assert.equal(message.event, "broadcast");
  assert.equal(message.joinRef, "4");
  assert.equal(message.userBroadcast?.event, "cursor");
  assert.equal(message.userBroadcast?.encoding, "json");
  assert.equal(new TextDecoder().decode(message.userBroadcast?.payload), '{"x":1}');
});

Deno.test("a user broadcast is a kind-4 binary frame for V2 and a JSON broadcast for V1", () => {
  const message = {
    event: "tick",
    encoding: "json" as const,
    payload: new TextEncoder().encode('{"n":1}'),
    metadata: { id: "abc" },
  };
  const v2 = new FrameWriter("2.0.0").userBroadcast("realtime:t", message) as Uint8Array;
  assert.deepEqual([...v2.subarray(0, 5)], [4, 10, 4, 12, 1]);
  assert.equal(new TextDecoder().decode(v2.subarray(5)), 'realtime:ttick{"id":"abc"}{"n":1}');
  const v1 = new FrameWriter("1.0.0").userBroadcast("realtime:t", message) as string;
  assert.deepEqual(JSON.parse(v1), {
    topic: "realtime:t",
    event: "broadcast",
    payload: { event: "tick", payload: { n: 1 }, type: "broadcast", meta: { id: "abc" } },
    ref: null,
  });
  assert.equal(
    new FrameWriter("1.0.0").userBroadcast("realtime:t", { ...message, encoding: "binary" }),
    null,
  );
});

Deno.test("replies carry status and response, in each serializer's shape", () => {
  assert.deepEqual(
    JSON.parse(new FrameWriter("2.0.0").reply("1", "2", "realtime:a", "error", { reason: "r" })),
    ["1", "2", "realtime:a", "phx_reply", { status: "error", response: { reason: "r" } }],
  );
  assert.deepEqual(
    JSON.parse(new FrameWriter("1.0.0").reply("1", "2", "phoenix", "ok", {})),
    { topic: "phoenix", event: "phx_reply", payload: { status: "ok", response: {} }, ref: "2" },
  );
});
