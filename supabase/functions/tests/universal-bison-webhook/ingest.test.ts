// universal-bison-webhook end to end: Bison's HTTP deliveries through the functions gateway (with
// the real config.toml) into the database, for every event type and every way a delivery can go
// wrong.
import assert from "node:assert/strict";
import { connect, connectBison, runBisonCli, startTestGateway } from "../_support/stack.ts";
import { join } from "node:path";
import { bisonEvent, eventTypes, metricOf } from "../../../../scripts/simulator/bison-events.ts";
import { stackConfig } from "../../../../scripts/local/config.ts";

const sql = connect();
let nextId = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
const uniqueId = () => nextId++;

async function withWebhook(
  body: (context: { url: string; connectionId: string }) => Promise<void>,
  timezone = "UTC",
) {
  const gateway = await startTestGateway();
  try {
    const { webhookUrl, connectionId } = await connectBison(gateway.url, timezone);
    await body({ url: webhookUrl, connectionId });
  } finally {
    await gateway.close();
  }
}

const deliver = async (url: string, payload: unknown, init: RequestInit = {}) => {
  const response = await fetch(url, {
    method: "POST",
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
    headers: { "content-type": "application/json" },
    ...init,
  });
  return { status: response.status, body: await response.json() };
};

async function dayMetrics(connectionId: string, bisonWorkspaceId = 1) {
  const rows = await sql`
    select m.* from public.workspace_daily_metrics m
    join public.workspaces w on w.id = m.workspace_id
    where w.connection_id = ${connectionId} and w.bison_workspace_id = ${bisonWorkspaceId}
    order by m.day`;
  return rows;
}

async function storedEvents(connectionId: string) {
  const [{ count }] = await sql`
    select count(*)::int from private.webhook_events where connection_id = ${connectionId}`;
  return count as number;
}

Deno.test("a delivery without any Authorization header reaches the handler (verify_jwt = false)", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const response = await deliver(url, bisonEvent("EMAIL_SENT", { id: uniqueId() }));
    assert.equal(response.status, 200);
    assert.equal(response.body.status, "processed");
    assert.equal(await storedEvents(connectionId), 1);
  });
});

Deno.test("all 17 event types are accepted, stored and rolled up into the right counters", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const at = "2026-11-20T15:00:00.000000Z";
    for (const [index, type] of eventTypes.entries()) {
      // Half of them lower-case, as some integrations send them.
      const sent = index % 2 ? type.toLowerCase() : type;
      const response = await deliver(url, bisonEvent(sent, { id: uniqueId(), at }));
      assert.equal(response.status, 200, type);
      assert.equal(response.body.status, "processed", type);
    }
    const [day] = await dayMetrics(connectionId);
    for (const type of eventTypes) {
      const metric = metricOf[type];
      if (metric) assert.equal(day[metric], 1, `${type} adds one to ${metric}`);
    }
    assert.equal(await storedEvents(connectionId), 17);
    const [campaign] = await sql`
      select sum(emails_sent)::int as sent, sum(replies)::int as replies
      from public.campaign_daily_metrics m join public.campaigns c on c.id = m.campaign_id
      join public.workspaces w on w.id = c.workspace_id where w.connection_id = ${connectionId}`;
    assert.deepEqual(campaign, { sent: 1, replies: 1 });
  });
});

Deno.test("an unknown event type is accepted with 200, stored and reported as unknown", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const response = await deliver(url, bisonEvent("LEAD_TELEPORTED", { id: uniqueId() }));
    assert.equal(response.status, 200);
    assert.equal(response.body.status, "unknown_type");
    const [event] = await sql`
      select event_type, status from private.webhook_events where connection_id = ${connectionId}`;
    assert.deepEqual(event, { event_type: "lead_teleported", status: "unknown_type" });
    assert.equal((await dayMetrics(connectionId)).length, 0);
  });
});

Deno.test("a reply with a NUL byte or a broken emoji is stored, not refused forever", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const event = bisonEvent("LEAD_REPLIED", { id: uniqueId() }) as {
      data: { reply: { text_body: string } };
    };
    const body = JSON.stringify(event).replace(
      JSON.stringify(event.data.reply.text_body),
      '"yes\\u0000 please \\ud83d"',
    );
    const response = await deliver(url, body);
    assert.equal(response.status, 200);
    assert.equal(response.body.status, "processed");
    const [reply] = await sql`
      select r.text_body from public.replies r join public.workspaces w on w.id = r.workspace_id
      where w.connection_id = ${connectionId}`;
    assert.equal(reply.text_body, "yes please \ufffd");
  });
});

Deno.test("JSON the database cannot store is quarantined raw, answered 2xx and never logged", async () => {
  // Reproduction: a NUL in a key, 1e1000000 or nesting past the parser's limit made every
  // delivery (and every retry) a 500, and the server log quoted the payload around the error.
  await withWebhook(async ({ url, connectionId }) => {
    const marker = `quarantine-marker-${crypto.randomUUID()}`;
    const envelope = (data: string) =>
      `{"event": {"type": "EMAIL_SENT", "workspace_id": 1}, "data": {"${marker}": ${data}}}`;
    const bodies = [
      envelope(`{"k\\u0000ey-${marker}": 1}`),
      envelope("1e1000000"),
      envelope(`${"[".repeat(100_000)}${"]".repeat(100_000)}`),
    ];
    for (const body of bodies) {
      const response = await deliver(url, body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.status, "quarantined");
    }
    const kept = await sql`
      select body from private.quarantined_webhook_bodies where connection_id = ${connectionId}
      order by id`;
    assert.deepEqual(kept.map((row) => row.body), bodies, "kept exactly as received");
    const [rejections] = await sql`
      select deliveries from private.webhook_rejections
      where connection_id = ${connectionId} and reason = 'unstorable_body'`;
    assert.equal(rejections.deliveries, 3, "counted among the rejections");
    assert.equal(await storedEvents(connectionId), 0);
    const log = await Deno.readTextFile(join(stackConfig("test").logDir, "postgres.log"));
    assert.ok(!log.includes(marker), "the server log holds no fragment of those bodies");
  });
});

Deno.test("duplicates answer 200 and change nothing", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const event = bisonEvent("LEAD_REPLIED", { id: uniqueId(), stringCounters: true });
    assert.equal((await deliver(url, event)).body.status, "processed");
    const retry = await deliver(url, event);
    assert.equal(retry.status, 200);
    assert.equal(retry.body.status, "duplicate");
    const lowerCaseCopy = { ...event, event: { ...event.event as object, type: "lead_replied" } };
    assert.equal((await deliver(url, lowerCaseCopy)).body.status, "duplicate");
    assert.equal((await dayMetrics(connectionId))[0].replies, 1);
    assert.equal(await storedEvents(connectionId), 1);
  });
});

Deno.test("every bad delivery answers its status and writes nothing", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const valid = JSON.stringify(bisonEvent("EMAIL_SENT", { id: uniqueId() }));
    const token = url.split("/").pop()!;
    const cases: [string, RequestInit & { url?: string }, number][] = [
      ["unknown token", { url: url.replace(token, "A".repeat(43)), body: valid }, 401],
      ["malformed token", { url: url.replace(token, "x"), body: valid }, 401],
      ["no token", { url: url.replace(`/${token}`, ""), body: valid }, 401],
      ["GET", { method: "GET", body: undefined }, 405],
      ["too large", {
        body: JSON.stringify({ event: { type: "EMAIL_SENT" }, pad: "x".repeat(1024 * 1024) }),
      }, 413],
      ["not JSON", { body: "{not json" }, 400],
      ["an array", { body: "[]" }, 400],
      ["no event.type", { body: '{"event":{"workspace_id":1},"data":{}}' }, 400],
    ];
    for (const [name, init, status] of cases) {
      const response = await fetch(init.url ?? url, { method: "POST", ...init });
      await response.body?.cancel();
      assert.equal(response.status, status, name);
    }
    assert.equal(await storedEvents(connectionId), 0);
    assert.equal((await dayMetrics(connectionId)).length, 0);
    const [{ refused }] = await sql`
      select coalesce(sum(deliveries), 0)::int as refused from private.webhook_rejections
      where connection_id = ${connectionId}`;
    assert.equal(refused, 4, "413 and the three 400s are counted against the connection");
  });
});

Deno.test("200 concurrent deliveries of distinct events to one workspace and day count exactly", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const at = "2026-11-21T12:00:00.000000Z";
    const types = ["EMAIL_SENT", "EMAIL_OPENED", "LEAD_REPLIED", "EMAIL_BOUNCED"];
    const events = Array.from(
      { length: 200 },
      (_, index) =>
        bisonEvent(types[index % types.length], {
          id: uniqueId(),
          at,
          leadId: 500 + (index % 7),
          senderEmailId: 40 + (index % 3),
        }),
    );
    const responses = await Promise.all(events.map((event) => deliver(url, event)));
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
    const [day] = await dayMetrics(connectionId);
    assert.equal(day.emails_sent, 50);
    assert.equal(day.opens, 50);
    assert.equal(day.replies, 50);
    assert.equal(day.bounces, 50);
    assert.equal(await storedEvents(connectionId), 200);
  });
});

Deno.test("a processing failure keeps the raw event; `bison reprocess` applies it once fixed", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    await sql.unsafe(`
      create function public.e2e_injected_failure() returns trigger language plpgsql
        set search_path = '' as $$ begin raise exception 'injected failure'; end $$;
      create trigger e2e_injected_failure before insert or update on public.leads
        for each row execute function public.e2e_injected_failure();`);
    let eventId: number;
    try {
      const response = await deliver(url, bisonEvent("LEAD_INTERESTED", { id: uniqueId() }));
      assert.equal(response.status, 200, "stored, so Bison must not retry");
      assert.equal(response.body.status, "failed");
      eventId = response.body.event_id;
      const [event] = await sql`
        select status, error from private.webhook_events where id = ${eventId}`;
      assert.equal(event.status, "failed");
      assert.match(event.error, /injected failure/);
      assert.equal((await dayMetrics(connectionId)).length, 0, "nothing half-applied");
    } finally {
      await sql.unsafe(`
        drop trigger e2e_injected_failure on public.leads;
        drop function public.e2e_injected_failure();`);
    }
    const reprocess = await runBisonCli(["reprocess", "--event-id", String(eventId)]);
    assert.equal(reprocess.code, 0, reprocess.stderr);
    assert.deepEqual(reprocess.result, { reprocessed: 1, processed: 1 });
    assert.equal((await dayMetrics(connectionId))[0].interested, 1);
    const again = await runBisonCli(["reprocess", "--event-id", String(eventId)]);
    assert.deepEqual(again.result, { reprocessed: 0 }, "a processed event is never applied twice");
    assert.equal((await dayMetrics(connectionId))[0].interested, 1);
  });
});

Deno.test("the database being down answers 503 so Bison retries", async () => {
  const gateway = await startTestGateway({
    DB_POOLER_URL: "postgresql://postgres:postgres@127.0.0.1:9/postgres",
  });
  try {
    const response = await deliver(
      `${gateway.url}/functions/v1/universal-bison-webhook/${"A".repeat(43)}`,
      bisonEvent("EMAIL_SENT", { id: uniqueId() }),
    );
    assert.equal(response.status, 503);
  } finally {
    await gateway.close();
  }
});

Deno.test("the CLI stores only a hash of the token; rotating without grace retires the old URL", async () => {
  await withWebhook(async ({ url, connectionId }) => {
    const token = url.split("/").pop()!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, "256 random bits, URL-safe");
    const [stored] = await sql`
      select token_sha256 = encode(sha256(convert_to(${token}, 'UTF8')), 'hex') as hashed,
             token_sha256 <> ${token} as not_plain
      from private.webhook_tokens where connection_id = ${connectionId}`;
    assert.deepEqual(stored, { hashed: true, not_plain: true });

    const functionsUrl = url.slice(0, url.indexOf("/universal-bison-webhook"));
    const rotated = await runBisonCli(
      ["rotate-token", "--connection", connectionId, "--grace-minutes", "0"],
      functionsUrl,
    );
    assert.equal(rotated.code, 0, rotated.stderr);
    const newUrl = (rotated.result as { webhook_url: string }).webhook_url;
    assert.notEqual(newUrl, url);
    assert.equal((await deliver(url, bisonEvent("EMAIL_SENT", { id: uniqueId() }))).status, 401);
    assert.equal((await deliver(newUrl, bisonEvent("EMAIL_SENT", { id: uniqueId() }))).status, 200);
  });
});

Deno.test("the CLI refuses bad input clearly and creates nothing", async () => {
  const name = `bad-${crypto.randomUUID()}`;
  const badUrl = await runBisonCli(["connect", "--name", name, "--base-url", "not a url"]);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /--base-url is not a URL/);
  const badZone = await runBisonCli([
    "connect",
    "--name",
    name,
    "--base-url",
    "https://x.example.test",
    "--timezone",
    "Mars/Olympus",
  ]);
  assert.equal(badZone.code, 2);
  assert.match(badZone.stderr, /--timezone Mars\/Olympus is not an IANA time zone/);
  const [{ count }] = await sql`
    select count(*)::int from public.bison_connections where name = ${name}`;
  assert.equal(count, 0);
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
