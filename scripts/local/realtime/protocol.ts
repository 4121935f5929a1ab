// Phoenix channel frames as Supabase Realtime reads and writes them: the V1 JSON object
// serializer (vsn 1.0.0, which has no join_ref on the way out) and Realtime's V2 serializer (vsn 2.0.0: JSON arrays plus binary frames
// for user broadcasts), which realtime-js speaks by default.

export type Vsn = "1.0.0" | "2.0.0";

/** A frame from the client, decoded. A binary broadcast push carries its user payload apart. */
export interface InboundMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
  /** Set for V2 binary user broadcast pushes (kind 3). */
  userBroadcast?: UserBroadcast;
}

/** A broadcast whose payload travels as raw bytes (Realtime's UserBroadcast). */
export interface UserBroadcast {
  event: string;
  encoding: "json" | "binary";
  payload: Uint8Array;
  metadata?: Record<string, unknown>;
}

export type Frame = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const kinds = { push: 0, reply: 1, broadcast: 2, userBroadcastPush: 3, userBroadcast: 4 };

export class MalformedFrame extends Error {}

/** Decodes one WebSocket frame; throws MalformedFrame for anything Phoenix would reject. */
export function decodeFrame(vsn: Vsn, data: string | ArrayBuffer | Uint8Array): InboundMessage {
  if (typeof data !== "string") {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (vsn === "1.0.0") return decodeV1(decodeText(bytes));
    return decodeBinary(bytes);
  }
  return vsn === "1.0.0" ? decodeV1(data) : decodeV2Text(data);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedFrame(`invalid JSON: ${(error as Error).message}`);
  }
}

function decodeText(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new MalformedFrame("frame is not valid UTF-8");
  }
}

const refOf = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

function message(
  joinRef: unknown,
  ref: unknown,
  topic: unknown,
  event: unknown,
  payload: unknown,
): InboundMessage {
  if (typeof topic !== "string" || typeof event !== "string") {
    throw new MalformedFrame("topic and event must be strings");
  }
  return { joinRef: refOf(joinRef), ref: refOf(ref), topic, event, payload };
}

function decodeV2Text(text: string): InboundMessage {
  const value = parseJson(text);
  if (!Array.isArray(value) || value.length < 5) {
    throw new MalformedFrame("expected V2 array [join_ref, ref, topic, event, payload]");
  }
  const [joinRef, ref, topic, event, payload] = value;
  return message(joinRef, ref, topic, event, payload);
}

function decodeV1(text: string): InboundMessage {
  const value = parseJson(text) as Record<string, unknown>;
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    !["topic", "event", "payload", "ref"].every((key) => key in value)
  ) {
    throw new MalformedFrame("expected V1 object {topic, event, payload, ref}");
  }
  return message(value.join_ref, value.ref, value.topic, value.event, value.payload);
}

/**
 * Reads a binary frame: after the kind byte, `headerSize` length bytes, then the text fields
 * those lengths announce (the first `fields` of them), then the rest as the payload.
 */
function readBinary(bytes: Uint8Array, headerSize: number, fields: number) {
  if (bytes.length < 1 + headerSize) throw new MalformedFrame("binary frame is truncated");
  const header = bytes.subarray(1, 1 + headerSize);
  const texts: string[] = [];
  let offset = 1 + headerSize;
  for (const size of header.subarray(0, fields)) {
    if (offset + size > bytes.length) throw new MalformedFrame("binary frame is truncated");
    texts.push(decodeText(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  return { header, texts, rest: bytes.slice(offset) };
}

function decodeBinary(bytes: Uint8Array): InboundMessage {
  const kind = bytes[0];
  if (kind === kinds.userBroadcastPush) {
    // join_ref, ref, topic, user event, metadata sizes; then the payload encoding.
    const { header, texts, rest } = readBinary(bytes, 6, 5);
    const [joinRef, ref, topic, userEvent, metadataText] = texts;
    const metadata = metadataText.length > 0 ? parseJson(metadataText) : {};
    return {
      joinRef,
      ref,
      topic,
      event: "broadcast",
      payload: null,
      userBroadcast: {
        event: userEvent,
        encoding: header[5] === 0 ? "binary" : "json",
        payload: rest,
        metadata: metadata as Record<string, unknown>,
      },
    };
  }
  if (kind === kinds.push) {
    const { texts: [joinRef, ref, topic, event], rest } = readBinary(bytes, 4, 4);
    return { joinRef, ref, topic, event, payload: rest };
  }
  throw new MalformedFrame(`unknown binary frame kind ${kind}`);
}

/** Writes frames for one socket, in the serializer its `vsn` chose. */
export class FrameWriter {
  constructor(readonly vsn: Vsn) {}

  /** A Phoenix reply to a client push (phx_reply). */
  reply(
    joinRef: string | null,
    ref: string | null,
    topic: string,
    status: "ok" | "error",
    response: unknown,
  ): string {
    const payload = { status, response };
    if (this.vsn === "1.0.0") {
      return JSON.stringify({ topic, event: "phx_reply", payload, ref });
    }
    return JSON.stringify([joinRef, ref, topic, "phx_reply", payload]);
  }

  /** A server push on a joined channel (system messages, phx_close). */
  push(joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown) {
    if (this.vsn === "1.0.0") {
      return JSON.stringify({ topic, event, payload, ref });
    }
    return JSON.stringify([joinRef, ref, topic, event, payload]);
  }

  /** A fan-out message (Phoenix Broadcast): no refs. */
  broadcast(topic: string, event: string, payloadJson: string): string {
    if (this.vsn === "1.0.0") {
      return `{"topic":${JSON.stringify(topic)},"event":${
        JSON.stringify(event)
      },"payload":${payloadJson},"ref":null}`;
    }
    return `[null,null,${JSON.stringify(topic)},${JSON.stringify(event)},${payloadJson}]`;
  }

  /**
   * A user broadcast: a binary frame for V2; for V1 the JSON broadcast Realtime converts it to,
   * or null when the payload is binary (V1 cannot carry it, so Realtime drops it).
   */
  userBroadcast(topic: string, message: UserBroadcast): Frame | null {
    const metadata = message.metadata ? JSON.stringify(message.metadata) : "";
    if (this.vsn === "1.0.0") {
      if (message.encoding !== "json") return null;
      const payload = `{"event":${JSON.stringify(message.event)},"payload":${
        new TextDecoder().decode(message.payload)
      },"type":"broadcast"${metadata ? `,"meta":${metadata}` : ""}}`;
      return this.broadcast(topic, "broadcast", payload);
    }
    const topicBytes = encoder.encode(topic);
    const eventBytes = encoder.encode(message.event);
    const metadataBytes = encoder.encode(metadata);
    for (const [name, part] of [["topic", topicBytes], ["event", eventBytes]] as const) {
      if (part.length > 255) throw new RangeError(`${name} is longer than 255 bytes`);
    }
    if (metadataBytes.length > 255) throw new RangeError("metadata is longer than 255 bytes");
    const header = [
      kinds.userBroadcast,
      topicBytes.length,
      eventBytes.length,
      metadataBytes.length,
      message.encoding === "json" ? 1 : 0,
    ];
    const frame = new Uint8Array(
      header.length + topicBytes.length + eventBytes.length + metadataBytes.length +
        message.payload.length,
    );
    let offset = 0;
    for (const part of [new Uint8Array(header), topicBytes, eventBytes, metadataBytes]) {
      frame.set(part, offset);
      offset += part.length;
    }
    frame.set(message.payload, offset);
    return frame;
  }
}
