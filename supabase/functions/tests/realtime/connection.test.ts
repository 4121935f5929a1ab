// The Realtime socket itself: what Phoenix and Realtime answer to heartbeats, unknown topics, bad
// frames and bad keys, token refreshes, unsupported features, and a dropped connection.
import assert from "node:assert/strict";
import { connect, startTestApi, testStack } from "../_support/stack.ts";
import {
  closeClient,
  expiredToken,
  frontendClient,
  Inbox,
  newUser,
  newWorkspace,
  subscribe,
  tokenExpiringIn,
} from "../_support/realtime.ts";
import { relay } from "../_support/relay.ts";

const sql = connect();

/** A raw socket speaking Phoenix V2 frames, for what supabase-js would never send. */
async function rawSocket(apiUrl: string) {
  const url = `${
    apiUrl.replace("http", "ws")
  }/realtime/v1/websocket?apikey=${testStack().anonKey}&vsn=2.0.0`;
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const inbox = new Inbox<unknown>();
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  socket.onmessage = (event) => inbox.push(JSON.parse(event.data));
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  return { socket, inbox, closed };
}

/** The HTTP answer to a WebSocket upgrade request (status and body), read off a raw TCP socket. */
async function upgradeAnswer(apiUrl: string, query: string) {
  const { port } = new URL(apiUrl);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  const request = `GET /realtime/v1/websocket?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  await conn.write(new TextEncoder().encode(request));
  let text = "";
  const buffer = new Uint8Array(4096);
  while (!/\r\n\r\n[\s\S]*\}/.test(text) && !/^HTTP\/1\.1 (403|400)/.test(text)) {
    const read = await conn.read(buffer);
    if (read === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, read));
  }
  conn.close();
  const status = Number(text.slice(9, 12));
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  return { status, body: body.includes("{") ? JSON.parse(body.slice(body.indexOf("{"))) : null };
}

Deno.test("heartbeats, unknown topics and malformed frames get Phoenix's answers; the socket lives on", async () => {
  const api = await startTestApi();
  try {
    const { socket, inbox } = await rawSocket(api.url);
    socket.send("not json");
    socket.send('{"topic": "phoenix"}');
    socket.send(new Uint8Array([3, 200, 1, 1, 1, 1, 1]));
    socket.send(new Uint8Array([9]));
    socket.send('[null, "1", "phoenix", "heartbeat", {}]');
    socket.send('["2", "2", "room:lobby", "phx_join", {}]');
    socket.send('["3", "3", "realtime:never-joined", "broadcast", {}]');
    const replies = await inbox.until("three replies", (items) => items.length >= 3);
    assert.deepEqual(replies, [
      [null, "1", "phoenix", "phx_reply", { status: "ok", response: {} }],
      [null, "2", "room:lobby", "phx_reply", {
        status: "error",
        response: { reason: "unmatched topic" },
      }],
      [null, "3", "realtime:never-joined", "phx_reply", {
        status: "error",
        response: { reason: "unmatched topic" },
      }],
    ]);

    // A public channel joins; leaving it is acknowledged, then the channel is closed.
    socket.send('["4", "4", "realtime:lobby", "phx_join", {"config": {}}]');
    await inbox.until("the join reply", (items) => items.length >= 4);
    assert.deepEqual(inbox.items[3], ["4", "4", "realtime:lobby", "phx_reply", {
      status: "ok",
      response: { postgres_changes: [] },
    }]);
    socket.send('["4", "5", "realtime:lobby", "phx_leave", {}]');
    await inbox.until("the leave reply and close", (items) => items.length >= 6);
    assert.deepEqual(inbox.items.slice(4), [
      ["4", "5", "realtime:lobby", "phx_reply", { status: "ok", response: {} }],
      ["4", "4", "realtime:lobby", "phx_close", {}],
    ]);
    socket.close();
  } finally {
    await api.close();
  }
});

Deno.test("an oversized frame closes that socket only", async () => {
  const api = await startTestApi();
  try {
    const { socket, closed } = await rawSocket(api.url);
    socket.send(`[null, "1", "phoenix", "heartbeat", {"pad": "${"x".repeat(5_000_000)}"}]`);
    assert.equal((await closed).code, 1009);
    const other = await rawSocket(api.url);
    other.socket.send('[null, "1", "phoenix", "heartbeat", {}]');
    await other.inbox.until("a heartbeat reply", (items) => items.length >= 1);
    other.socket.close();
  } finally {
    await api.close();
  }
});

Deno.test("connections without a project key, or with an unknown protocol version, are refused", async () => {
  const api = await startTestApi();
  try {
    const expired = await expiredToken(crypto.randomUUID());
    const anon = testStack().anonKey;
    // The platform's API gateway checks the key before Realtime sees the request.
    assert.deepEqual(await upgradeAnswer(api.url, "vsn=2.0.0"), {
      status: 401,
      body: {
        message: "No API key found in request",
        hint: "No `apikey` request header or url param was found.",
      },
    });
    for (const key of [expired, "not-a-jwt"]) {
      const answer = await upgradeAnswer(api.url, `apikey=${key}&vsn=2.0.0`);
      assert.equal(answer.status, 401);
      assert.equal(answer.body.message, "Invalid API key");
    }
    assert.equal((await upgradeAnswer(api.url, `apikey=${anon}&vsn=3.0.0`)).status, 403);
  } finally {
    await api.close();
  }
});

Deno.test("presence is refused by name", async () => {
  const api = await startTestApi();
  try {
    const { token } = await newUser(sql);
    const client = await frontendClient(api, () => token);
    const channel = client.channel(`room:${crypto.randomUUID()}`).on(
      "presence",
      { event: "sync" },
      () => {},
    );
    const result = await subscribe(channel);
    assert.equal(result.status, "CHANNEL_ERROR");
    assert.match(result.error?.message ?? "", /^UnsupportedFeature: Presence is not supported/);
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("a refreshed token that has expired ends the channel as Realtime does", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { userId, token } = await newUser(sql, workspaceId);
    let current = token;
    const client = await frontendClient(api, () => current);
    const statuses = new Inbox<string>();
    const system = new Inbox<Record<string, unknown>>();
    const channel = client.channel(`workspace:${workspaceId}:metrics`, {
      config: { private: true },
    }).on("system", {}, system.push);
    channel.subscribe((status) => statuses.push(status));
    await statuses.until("SUBSCRIBED", (items) => items.includes("SUBSCRIBED"));

    current = await expiredToken(userId);
    await client.realtime.setAuth();
    const [message] = await system.until("the system error", (items) => items.length >= 1);
    assert.equal(message.extension, "system");
    assert.equal(message.status, "error");
    assert.match(String(message.message), /^Token has expired \d+ seconds ago$/);
    assert.equal(message.channel, `workspace:${workspaceId}:metrics`);
    await statuses.until("CLOSED", (items) => items.includes("CLOSED"));
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("a refreshed token that may no longer read the topic ends the channel", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { userId, token } = await newUser(sql, workspaceId);
    let current = token;
    const client = await frontendClient(api, () => current);
    const system = new Inbox<Record<string, unknown>>();
    const channel = client.channel(`workspace:${workspaceId}:metrics`, {
      config: { private: true },
    }).on("system", {}, system.push);
    assert.equal((await subscribe(channel)).status, "SUBSCRIBED");

    await sql`delete from public.workspace_members where user_id = ${userId}`;
    current = await tokenExpiringIn(userId, 7200);
    await client.realtime.setAuth();
    const [message] = await system.until("the system error", (items) => items.length >= 1);
    assert.equal(message.status, "error");
    assert.equal(
      message.message,
      `You do not have permissions to read from this Channel topic: workspace:${workspaceId}:metrics`,
    );
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("closing the service ends its database connections and drops its slot", async () => {
  const api = await startTestApi();
  const { token } = await newUser(sql);
  const client = await frontendClient(api, () => token);
  assert.equal(
    (await subscribe(client.channel(`room:${crypto.randomUUID()}`))).status,
    "SUBSCRIBED",
  );
  const slots = () =>
    sql`select slot_name from pg_catalog.pg_replication_slots
        where slot_name like ${`realtime_local_${Deno.pid}_%`}`;
  assert.equal((await slots()).length, 1);
  await api.close();
  await closeClient(client);
  assert.equal((await slots()).length, 0);
  const [{ count }] = await sql`
    select count(*)::int from pg_catalog.pg_stat_activity
    where application_name like 'realtime-local%'`;
  assert.equal(count, 0);
});

Deno.test("a dropped socket reconnects, rejoins and keeps receiving", async () => {
  const api = await startTestApi();
  const network = relay(api.url);
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { token } = await newUser(sql, workspaceId);
    const client = await frontendClient({ ...api, url: network.url }, () => token);
    const topic = `workspace:${workspaceId}:metrics`;
    const statuses = new Inbox<string>();
    const received = new Inbox<{ payload: { n: number } }>();
    const channel = client.channel(topic, { config: { private: true } })
      .on(
        "broadcast",
        { event: "tick" },
        (m) => received.push(m as unknown as { payload: { n: number } }),
      );
    channel.subscribe((status) => statuses.push(status));
    await statuses.until("SUBSCRIBED", (items) => items.includes("SUBSCRIBED"));
    await sql`select realtime.send('{"n": 1}'::jsonb, 'tick', ${topic}, true)`;
    await received.until("the first tick", (items) => items.length >= 1);

    network.cut();
    // realtime-js notices the closed socket, reconnects and rejoins with its token.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await statuses.until(
      "a rejoin",
      () => channel.state === "joined" && client.realtime.isConnected(),
      15_000,
    );
    await sql`select realtime.send('{"n": 2}'::jsonb, 'tick', ${topic}, true)`;
    const ticks = await received.until("the second tick", (items) => items.length >= 2);
    assert.deepEqual(ticks.map((m) => m.payload.n), [1, 2]);
    await closeClient(client);
  } finally {
    network.close();
    await api.close();
  }
});
