// Coalesced metric broadcasts end to end: a burst of webhooks reaches a dashboard as the first
// change at once and one more message with the latest counters once the interval has passed,
// sent by the flush-broadcasts function; a change not yet committed is never flushed without it.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, startTestApi } from "../_support/stack.ts";
import {
  closeClient,
  flushBroadcasts,
  memberWatchingMetrics,
  newWorkspace,
} from "../_support/realtime.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";

const sql = connect();
let nextEventId = 7_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

type Message = { event: string; payload: { emails_sent: number; day: string } };

Deno.test("a burst reaches a dashboard as its first change and, an interval later, its last", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, webhookUrl, client, inbox } = await memberWatchingMetrics<Message>(
      sql,
      api,
    );

    const at = new Date().toISOString();
    const burst = 20;
    const burstStarted = performance.now();
    for (let i = 0; i < burst; i++) {
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: nextEventId++, at })),
      });
      assert.equal(response.status, 200, await response.text());
    }
    const burstSeconds = (performance.now() - burstStarted) / 1000;
    const flush = await flushBroadcasts(api);
    assert.ok(flush.sent >= 1, "the flush sent the trailing message");

    const messages = await inbox.until(
      "the burst's last state",
      (items) => items.some((item) => item.payload.emails_sent === burst),
    );
    assert.equal(messages[0].payload.emails_sent, 1, "the first change went at once");
    // One message a second at most while the burst lasts, and the last one after it.
    assert.ok(
      messages.length <= Math.ceil(burstSeconds) + 2,
      `a burst of ${
        burstSeconds.toFixed(1)
      } s sent ${messages.length} messages for ${burst} events`,
    );
    const [{ stored }] = await sql`
      select count(*)::int as stored from realtime.messages
      where topic = ${`workspace:${workspaceId}:metrics`}`;
    assert.equal(stored, messages.length, "and nothing else was broadcast on the topic");
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("a flush skips a change its writer has not committed, and sends it once committed", async () => {
  const api = await startTestApi();
  const writer = connect();
  let release: (() => void) | undefined;
  try {
    const { workspaceId, connectionId } = await newWorkspace(sql, api);
    const topic = `workspace:${workspaceId}:metrics`;
    const deliver = (tx: postgres.TransactionSql | postgres.Sql) =>
      tx`select private.ingest_event(${connectionId}::uuid, ${
        sql.json(bisonEvent("EMAIL_SENT", { id: nextEventId++, workspaceId: 1 }) as never)
      }) ->> 'outcome' as outcome`;
    await deliver(sql); // the leading edge: broadcast at once
    // The next may not go before an hour (however slow this machine), then may go at once.
    await sql`update private.broadcast_topics set next_send_at = now() + interval '1 hour'
              where topic = ${topic}`;
    const intervalPasses = () =>
      sql`update private.broadcast_topics set next_send_at = now() - interval '1 second'
          where topic = ${topic}`;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inTransaction!: () => void;
    const started = new Promise<void>((resolve) => (inTransaction = resolve));
    // Other suites' pending broadcasts are flushed too: only this topic's messages count.
    const messages = async () => {
      const [row] = await sql`
        select count(*)::int as n, max((payload ->> 'emails_sent')::int) as latest
        from realtime.messages where topic = ${topic}`;
      return row as { n: number; latest: number };
    };
    const transaction = writer.begin(async (tx) => {
      await deliver(tx); // pending, and its marker locked until the commit
      inTransaction();
      await held;
    });
    await started;
    await intervalPasses();
    await sql`select sent from private.flush_coalesced_broadcasts()`;
    assert.deepEqual(await messages(), { n: 1, latest: 1 }, "the uncommitted change is left");
    release!();
    await transaction;
    await sql`select sent from private.flush_coalesced_broadcasts()`;
    assert.deepEqual(await messages(), { n: 2, latest: 2 }, "and sent once its writer committed");
  } finally {
    release?.();
    await writer.end();
    await api.close();
  }
});
