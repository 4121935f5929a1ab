// Realtime Broadcast through the local stack with the real supabase-js: a workspace's private
// metrics topic as a dashboard uses it (RLS on realtime.messages decides who may join), and
// broadcasts written by the database (realtime.send) or sent by clients.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { connect, startTestApi, testStack } from "../_support/stack.ts";
import {
  closeClient,
  expiredToken,
  frontendClient,
  Inbox,
  memberWatchingMetrics,
  newUser,
  newWorkspace,
  subscribe,
} from "../_support/realtime.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";

const sql = connect();
let nextEventId = 3_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

type Message = { event: string; meta?: { id: string }; [key: string]: unknown };
const payloadOf = (message: Message) => message.payload as Record<string, unknown>;

Deno.test("a member receives metrics_updated with the new counters after a webhook", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, webhookUrl, client, inbox } = await memberWatchingMetrics<Message>(
      sql,
      api,
    );

    const response = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: nextEventId++ })),
    });
    assert.equal(response.status, 200, await response.text());

    const [message] = await inbox.until("metrics_updated", (items) => items.length >= 1);
    assert.equal(message.event, "metrics_updated");
    assert.equal(payloadOf(message).workspace_id, workspaceId);
    assert.equal(payloadOf(message).emails_sent, 1);
    assert.match(String(message.meta?.id), /^[0-9a-f-]{36}$/);
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("a non-member is refused the private channel with Realtime's error", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { token } = await newUser(sql);
    const client = await frontendClient(api, () => token);
    const channel = client.channel(`workspace:${workspaceId}:metrics`, {
      config: { private: true },
    });
    const result = await subscribe(channel);
    assert.equal(result.status, "CHANNEL_ERROR");
    assert.equal(
      result.error?.message,
      `Unauthorized: You do not have permissions to read from this Channel topic: ` +
        `workspace:${workspaceId}:metrics`,
    );
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("an expired token is refused", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { userId } = await newUser(sql, workspaceId);
    const token = await expiredToken(userId);
    const client = await frontendClient(api, () => token);
    const result = await subscribe(
      client.channel(`workspace:${workspaceId}:metrics`, { config: { private: true } }),
    );
    assert.equal(result.status, "CHANNEL_ERROR");
    assert.match(
      result.error?.message ?? "",
      /^InvalidJWTToken: Token has expired \d+ seconds ago$/,
    );
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("realtime.send reaches joined channels whose privacy matches, in order", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { token } = await newUser(sql, workspaceId);
    const client = await frontendClient(api, () => token);
    const topic = `workspace:${workspaceId}:metrics`;
    const privateInbox = new Inbox<Message>();
    const publicInbox = new Inbox<Message>();
    const privateChannel = client.channel(topic, { config: { private: true } })
      .on("broadcast", { event: "*" }, privateInbox.push);
    const publicChannel = client.channel(`room:${crypto.randomUUID()}`)
      .on("broadcast", { event: "note" }, publicInbox.push);
    assert.equal((await subscribe(privateChannel)).status, "SUBSCRIBED");
    assert.equal((await subscribe(publicChannel)).status, "SUBSCRIBED");
    const publicTopic = publicChannel.subTopic;

    // Sent concurrently from several transactions: each arrives once.
    await Promise.all(
      Array.from(
        { length: 5 },
        (_, n) => sql`select realtime.send(${sql.json({ n })}, 'tick', ${topic}, true)`,
      ),
    );
    // Sent one transaction after another: they arrive in commit order.
    for (let n = 5; n < 10; n++) {
      await sql`select realtime.send(${sql.json({ n })}, 'tick', ${topic}, true)`;
    }
    await sql`select realtime.send('{"n": "wrong privacy"}'::jsonb, 'tick', ${topic}, false)`;
    await sql`select realtime.send('{"text": "hello"}'::jsonb, 'note', ${publicTopic}, false)`;
    await sql`select realtime.send('{"text": "private"}'::jsonb, 'note', ${publicTopic}, true)`;

    const [note] = await publicInbox.until("the public note", (items) => items.length >= 1);
    assert.deepEqual(payloadOf(note).text, "hello");
    const ticks = await privateInbox.until("ten ticks", (items) => items.length >= 10);
    const numbers = ticks.map((m) => Number(payloadOf(m).n));
    assert.deepEqual(numbers.slice(0, 5).sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(numbers.slice(5), [5, 6, 7, 8, 9]);
    // Nothing else arrives: the public message on the private topic and vice versa.
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(privateInbox.items.length, 10);
    assert.equal(publicInbox.items.length, 1);
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("client broadcasts reach others; self and ack are honoured; RLS gates private sends", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { token } = await newUser(sql, workspaceId);
    const sender = await frontendClient(api, () => token);
    const receiver = await frontendClient(api, () => token);
    const room = `room:${crypto.randomUUID()}`;
    const received = new Inbox<Message>();
    const echoed = new Inbox<Message>();
    const receiving = receiver.channel(room).on("broadcast", { event: "cursor" }, received.push);
    const sending = sender.channel(room, { config: { broadcast: { self: true, ack: true } } })
      .on("broadcast", { event: "cursor" }, echoed.push);
    assert.equal((await subscribe(receiving)).status, "SUBSCRIBED");
    assert.equal((await subscribe(sending)).status, "SUBSCRIBED");
    assert.equal(
      await sending.send({ type: "broadcast", event: "cursor", payload: { x: 1 } }),
      "ok",
    );
    const [message] = await received.until("the cursor", (items) => items.length >= 1);
    assert.deepEqual(message.payload, { x: 1 });
    await echoed.until("the echo to self", (items) => items.length >= 1);

    // The project has no INSERT policy on realtime.messages: a private send is not allowed, so
    // nothing is delivered and an acknowledged send gets no answer.
    const privateTopic = `workspace:${workspaceId}:metrics`;
    const privateReceived = new Inbox<Message>();
    const privateReceiving = receiver.channel(privateTopic, { config: { private: true } })
      .on("broadcast", { event: "cursor" }, privateReceived.push);
    const privateSending = sender.channel(privateTopic, {
      config: { private: true, broadcast: { ack: true } },
    });
    assert.equal((await subscribe(privateReceiving)).status, "SUBSCRIBED");
    assert.equal((await subscribe(privateSending)).status, "SUBSCRIBED");
    const outcome = await privateSending.send(
      { type: "broadcast", event: "cursor", payload: { x: 2 } },
      { timeout: 1500 },
    );
    assert.equal(outcome, "timed out");
    assert.equal(privateReceived.items.length, 0);
    await closeClient(sender);
    await closeClient(receiver);
  } finally {
    await api.close();
  }
});

Deno.test("a client speaking protocol 1.0.0 receives database broadcasts as JSON", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const { token } = await newUser(sql, workspaceId);
    const client = await frontendClient(api, () => token, { vsn: "1.0.0" });
    const topic = `workspace:${workspaceId}:metrics`;
    const inbox = new Inbox<Message>();
    const channel = client.channel(topic, { config: { private: true } })
      .on("broadcast", { event: "metrics_updated" }, inbox.push);
    assert.equal((await subscribe(channel)).status, "SUBSCRIBED");
    const [{ id }] = await sql`
      insert into realtime.messages (topic, extension, event, payload, private)
      values (${topic}, 'broadcast', 'metrics_updated', '{"emails_sent": 7}', true) returning id`;
    const [message] = await inbox.until("the broadcast", (items) => items.length >= 1);
    assert.deepEqual(payloadOf(message), { emails_sent: 7 });
    assert.equal(message.meta?.id, id);
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("a frontend signed in with its password receives its workspace's broadcasts", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await newWorkspace(sql, api);
    const options = { auth: { persistSession: false, autoRefreshToken: false } };
    const admin = createClient(api.url, testStack().serviceRoleKey, options);
    const email = `realtime-${crypto.randomUUID()}@example.test`;
    const password = "correct horse battery staple";
    const { data: created, error: createError } = await admin.auth.admin.createUser({
      email,
      password,
      email_confirm: true,
    });
    assert.equal(createError, null);
    await sql`insert into public.workspace_members (user_id, workspace_id)
              values (${created.user!.id}, ${workspaceId})`;

    const client = createClient(api.url, testStack().anonKey, options);
    const { error } = await client.auth.signInWithPassword({ email, password });
    assert.equal(error, null);
    const topic = `workspace:${workspaceId}:metrics`;
    const inbox = new Inbox<Message>();
    const channel = client.channel(topic, { config: { private: true } })
      .on("broadcast", { event: "metrics_updated" }, inbox.push);
    assert.equal((await subscribe(channel)).status, "SUBSCRIBED");
    await sql`select realtime.send('{"emails_sent": 3}'::jsonb, 'metrics_updated', ${topic}, true)`;
    const [message] = await inbox.until("the broadcast", (items) => items.length >= 1);
    // realtime.send adds the message id to the payload.
    assert.equal(payloadOf(message).emails_sent, 3);
    assert.equal(payloadOf(message).id, message.meta?.id);
    await closeClient(client);
    await client.auth.signOut();
  } finally {
    await api.close();
  }
});
