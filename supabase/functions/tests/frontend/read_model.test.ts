// The frontend contract, as a dashboard lives it with the real supabase-js typed by the generated
// types: an operator creates a user with Auth's admin API and makes them a member with the admin
// CLI; the user signs in with their password, reads every view and function of the read model,
// and receives their workspace's numbers live (broadcasts and postgres_changes) after webhooks. A
// user of no workspace reads nothing of it and is refused its private topics; an agency admin
// reads it all. (Expired tokens and dropped sockets: realtime/broadcast.test.ts and
// realtime/connection.test.ts.)
import assert from "node:assert/strict";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../../../types/database.ts";
import { runBisonCli } from "../../../../scripts/local/bison-cli.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";
import { connect, startTestApi, testStack } from "../_support/stack.ts";
import {
  closeClient,
  flushBroadcasts,
  Inbox,
  newWorkspace,
  subscribe,
} from "../_support/realtime.ts";
import { createPasswordUser } from "../_support/members.ts";

const stack = testStack();
const sql = connect(stack);
let nextEventId = 7_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
type Api = Awaited<ReturnType<typeof startTestApi>>;
type Client = SupabaseClient<Database>;

const sessionless = { auth: { persistSession: false, autoRefreshToken: false } };

/** The admin CLI as an operator runs it against this stack (member add, admin add). */
async function bison(api: Api, args: string[]) {
  const run = await runBisonCli(args, {
    SUPABASE_DB_URL: stack.databaseUrl,
    SUPABASE_FUNCTIONS_URL: `${api.url}/functions/v1`,
    SUPABASE_URL: api.url,
    SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
  });
  assert.equal(run.code, 0, run.stderr);
}

/** supabase-js as a browser holds it: the anon key, then the user's session once signed in. */
async function signedIn(api: Api, person: { email: string; password: string }): Promise<Client> {
  const client = createClient<Database>(api.url, stack.anonKey, sessionless);
  const { error } = await client.auth.signInWithPassword(person);
  assert.equal(error, null);
  await client.realtime.setAuth();
  return client;
}

async function postEvent(webhookUrl: string, type: string, options: Record<string, unknown> = {}) {
  const response = await fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(bisonEvent(type, { id: nextEventId++, ...options })),
  });
  assert.equal(response.status, 200, await response.text());
}

/** Fails the test with PostgREST's error, or returns the rows. */
function rows<T>(answer: { data: T | null; error: unknown }): T {
  assert.equal(answer.error, null, JSON.stringify(answer.error));
  return answer.data!;
}

/**
 * Every view of the read model as one user reads it for one workspace (or its connection), each
 * with the columns a dashboard shows: the generated types check the names at compile time.
 */
async function readEverything(client: Client, workspaceId: number, connectionId: string) {
  return {
    workspace_kpis: rows(
      await client.from("workspace_kpis")
        .select("period, period_start, timezone, emails_sent, replies, reply_rate_pct")
        .eq("workspace_id", workspaceId).order("period"),
    ),
    campaign_metrics: rows(
      await client.from("campaign_metrics").select("name, emails_sent, replies, reply_rate_pct")
        .eq("workspace_id", workspaceId),
    ),
    workspace_mailbox_health: rows(
      await client.from("workspace_mailbox_health")
        .select("mailboxes_total, connected, burnt, daily_capacity, disconnected_pct")
        .eq("workspace_id", workspaceId),
    ),
    mailbox_health_by_provider: rows(
      await client.from("mailbox_health_by_provider")
        .select("provider, reseller, mailboxes_total, daily_capacity, reply_rate_pct")
        .eq("workspace_id", workspaceId),
    ),
    provider_performance_history: rows(
      await client.from("provider_performance_history")
        .select("day, provider, mailboxes_total, reply_rate_7d_pct")
        .eq("connection_id", connectionId),
    ),
    pipeline_health: rows(
      await client.from("pipeline_health")
        .select("last_event_at, events_24h, webhook_status, sync_running, open_alerts")
        .eq("workspace_id", workspaceId),
    ),
    system_health: rows(
      await client.from("system_health").select("check_name, status, message")
        .eq("workspace_id", workspaceId),
    ),
    health_alert_history: rows(
      await client.from("health_alert_history").select("check_name, status, previous_status")
        .eq("workspace_id", workspaceId).order("recorded_at", { ascending: false }),
    ),
    activity_feed: rows(
      await client.from("activity_feed")
        .select("id, kind, occurred_at, campaign_name, lead_email, lead_name, subject")
        .eq("workspace_id", workspaceId).order("occurred_at", { ascending: false }).limit(50),
    ),
    webhook_health: rows(
      await client.from("webhook_health").select("last_event_at, events_24h, failures_24h")
        .eq("workspace_id", workspaceId),
    ),
    workspace_month_to_date: rows(
      await client.from("workspace_month_to_date")
        .select("month_start, emails_sent, projected_emails_sent")
        .eq("workspace_id", workspaceId),
    ),
    workspace_pacing: rows(
      await client.from("workspace_pacing")
        .select("metric, target, actual_mtd, expected_so_far, of_target_pct, pacing_status")
        .eq("workspace_id", workspaceId),
    ),
  };
}

/** A scenario: a workspace with a day of traffic, a mailbox, a provider day and a health check. */
async function scenario(api: Api) {
  const { workspaceId, webhookUrl, connectionId } = await newWorkspace(sql, api);
  await postEvent(webhookUrl, "EMAIL_SENT", { leadId: 41 });
  await postEvent(webhookUrl, "LEAD_REPLIED", { leadId: 41 });
  await sql`select private.calculate_provider_performance(${connectionId}::uuid,
              (now() at time zone 'UTC')::date - 1)`;
  await sql`
    insert into public.system_health
      (check_name, scope, workspace_id, connection_id, status, message, checked_at, changed_at)
    values ('webhook_silence', ${`workspace:${workspaceId}`}, ${workspaceId}, ${connectionId},
            'healthy', 'events arrive', now(), now())`;
  await sql`
    insert into private.system_health_history (check_name, scope, status, message, recorded_at)
    values ('webhook_silence', ${`workspace:${workspaceId}`}, 'healthy', 'events arrive', now())`;
  await sql`select private.set_workspace_target(${workspaceId}, 'emails_sent', 10, null, null)`;
  return { workspaceId, webhookUrl, connectionId };
}

Deno.test("the read model covers every view and function of public that a dashboard reads", async () => {
  const [{ views }] = await sql`
    select array_agg(c.relname::text order by c.relname) as views from pg_catalog.pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'`;
  const read = [
    "activity_feed",
    "campaign_metrics",
    "health_alert_history",
    "mailbox_health_by_provider",
    "pipeline_health",
    "webhook_health",
    "workspace_kpis",
    "workspace_mailbox_health",
    "workspace_month_to_date",
    "workspace_pacing",
  ];
  assert.deepEqual(views, read, "a new view needs its place in readEverything");
  const [{ functions }] = await sql`
    select array_agg(p.proname::text order by p.proname) as functions from pg_catalog.pg_proc p
    where p.pronamespace = 'public'::regnamespace`;
  // The two set_* functions write (agency admins only): tests/targets covers them.
  assert.deepEqual(functions, [
    "set_workspace_sending_days",
    "set_workspace_target",
    "workspace_daily_series",
    "workspace_insight_facts",
  ]);
});

Deno.test("a member signs in, reads their workspace's read model and receives it live", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, webhookUrl, connectionId } = await scenario(api);
    const person = await createPasswordUser(api.url, "member");
    await bison(api, [
      "member",
      "add",
      "--email",
      person.email,
      "--workspace",
      String(workspaceId),
    ]);
    const client = await signedIn(api, person);

    const seen = await readEverything(client, workspaceId, connectionId);
    const today = seen.workspace_kpis.find((row) => row.period === "today")!;
    assert.deepEqual(
      { emails_sent: today.emails_sent, replies: today.replies, rate: today.reply_rate_pct },
      { emails_sent: 1, replies: 1, rate: 100 },
    );
    assert.equal(today.timezone, "UTC");
    assert.deepEqual(seen.workspace_kpis.map((row) => row.period), [
      "last_30_days",
      "last_7_days",
      "month_to_date",
      "today",
      "yesterday",
    ]);
    assert.deepEqual(seen.campaign_metrics, [
      { name: "Campaign 2", emails_sent: 1, replies: 1, reply_rate_pct: 100 },
    ]);
    assert.deepEqual(seen.workspace_mailbox_health, [
      { mailboxes_total: 1, connected: 1, burnt: 0, daily_capacity: 30, disconnected_pct: 0 },
    ]);
    assert.deepEqual(seen.mailbox_health_by_provider, [
      {
        provider: "Google",
        reseller: null,
        mailboxes_total: 1,
        daily_capacity: 30,
        reply_rate_pct: 2.5,
      },
    ]);
    assert.equal(seen.provider_performance_history.length, 1);
    assert.equal(seen.pipeline_health[0].events_24h, 2);
    assert.equal(seen.pipeline_health[0].webhook_status, "healthy");
    assert.equal(seen.pipeline_health[0].sync_running, false);
    assert.ok(seen.pipeline_health[0].last_event_at);
    assert.deepEqual(seen.system_health, [
      { check_name: "webhook_silence", status: "healthy", message: "events arrive" },
    ]);
    assert.deepEqual(seen.health_alert_history, [], "the health history is for admins");
    assert.deepEqual(seen.activity_feed.map((row) => [row.kind, row.lead_name, row.subject]), [
      ["reply", "Cody Smith", "Re: quick question"],
    ]);
    assert.equal(seen.webhook_health[0].events_24h, 2);
    assert.equal(seen.workspace_month_to_date[0].emails_sent, 1);
    assert.deepEqual(
      seen.workspace_pacing.map((row) => [row.metric, row.target, row.actual_mtd]),
      [["emails_sent", 10, 1]],
    );
    const series = rows(
      await client.rpc("workspace_daily_series", { workspace_id: workspaceId, days: 7 }),
    );
    assert.equal(series.length, 7);
    assert.deepEqual(
      { day: series[6].day, emails_sent: series[6].emails_sent, source: series[6].source },
      { day: today.period_start, emails_sent: 1, source: "events" },
    );
    const facts = rows(
      await client.rpc("workspace_insight_facts", { workspace_id: workspaceId, period_days: 7 }),
    );
    assert.ok(facts.some((fact) => fact.fact_id === "sends"));

    // Live: the metrics and activity topics (private broadcasts) and the day row's changes.
    const metrics = new Inbox<{ payload: Record<string, unknown> }>();
    const activity = new Inbox<{ payload: Record<string, unknown> }>();
    const changes = new Inbox<{ eventType: string; new: Record<string, unknown> }>();
    const metricsChannel = client.channel(`workspace:${workspaceId}:metrics`, {
      config: { private: true },
    }).on("broadcast", { event: "metrics_updated" }, (m) => metrics.push(m as never));
    const activityChannel = client.channel(`workspace:${workspaceId}:activity`, {
      config: { private: true },
    }).on("broadcast", { event: "activity" }, (m) => activity.push(m as never));
    const changesChannel = client.channel(`days-${crypto.randomUUID()}`).on(
      "postgres_changes",
      {
        event: "*",
        schema: "public",
        table: "workspace_daily_metrics",
        filter: `workspace_id=eq.${workspaceId}`,
      },
      (change) => changes.push(change as never),
    );
    for (const channel of [metricsChannel, activityChannel, changesChannel]) {
      assert.equal((await subscribe(channel)).status, "SUBSCRIBED");
    }
    // postgres_changes is live once Realtime says so (a system message); give it that moment.
    await new Promise((resolve) => setTimeout(resolve, 500));

    await postEvent(webhookUrl, "EMAIL_SENT", { leadId: 42 });
    const [sent] = await metrics.until("metrics_updated", (items) => items.length >= 1);
    assert.equal(sent.payload.workspace_id, workspaceId);
    assert.equal(sent.payload.day, today.period_start);
    assert.equal(sent.payload.emails_sent, 2);
    const [change] = await changes.until("the day row's UPDATE", (items) => items.length >= 1);
    assert.equal(change.eventType, "UPDATE");
    assert.equal(change.new.emails_sent, 2);

    await postEvent(webhookUrl, "LEAD_INTERESTED", { leadId: 43 });
    const received = await activity.until(
      "the reply and its interest",
      (items) => items.length >= 2,
    );
    assert.deepEqual(received.map((m) => m.payload.kind).sort(), ["interested", "reply"]);
    const feed = rows(
      await client.from("activity_feed").select("id").eq("workspace_id", workspaceId),
    );
    for (const message of received) {
      assert.ok(feed.some((row) => row.id === message.payload.id), "a broadcast is a feed row");
    }
    // Within a second of the first message: the topic's next one comes from the flush.
    await flushBroadcasts(api);
    await metrics.until(
      "interested counted",
      (items) => items.some((m) => m.payload.interested === 1),
    );

    await client.removeChannel(metricsChannel);
    await closeClient(client);
    await client.auth.signOut();
  } finally {
    await api.close();
  }
});

Deno.test("a user of no workspace reads nothing of it and is refused its private topics", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, connectionId } = await scenario(api);
    const client = await signedIn(api, await createPasswordUser(api.url, "outsider"));
    for (
      const [view, seen] of Object.entries(await readEverything(client, workspaceId, connectionId))
    ) {
      assert.deepEqual(seen, [], `an outsider reads nothing of ${view}`);
    }
    const refused = await client.rpc("workspace_daily_series", { workspace_id: workspaceId });
    assert.equal(refused.error?.code, "42501");
    assert.equal(refused.status, 403);
    // One after another: a socket handles joins in turn, and Realtime answers a refused join
    // after 5 s.
    for (const topic of ["metrics", "activity"]) {
      const channel = client.channel(`workspace:${workspaceId}:${topic}`, {
        config: { private: true },
      });
      const result = await subscribe(channel);
      // As a frontend should: stop realtime-js from retrying a join it was refused.
      await client.removeChannel(channel);
      assert.equal(result.status, "CHANNEL_ERROR", topic);
      assert.equal(
        result.error?.message,
        "Unauthorized: You do not have permissions to read from this Channel topic: " +
          `workspace:${workspaceId}:${topic}`,
      );
    }
    await closeClient(client);
  } finally {
    await api.close();
  }
});

Deno.test("an agency admin reads every workspace's read model and the health history", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, connectionId } = await scenario(api);
    const person = await createPasswordUser(api.url, "admin");
    await bison(api, ["admin", "add", "--email", person.email]);
    const client = await signedIn(api, person);
    const seen = await readEverything(client, workspaceId, connectionId);
    for (const [view, rowsSeen] of Object.entries(seen)) {
      assert.ok(rowsSeen.length > 0, `an admin reads ${view}`);
    }
    assert.deepEqual(seen.health_alert_history, [
      { check_name: "webhook_silence", status: "healthy", previous_status: null },
    ]);
    const health = await subscribe(client.channel("health", { config: { private: true } }));
    assert.equal(health.status, "SUBSCRIBED");
    await closeClient(client);
    await sql`delete from public.agency_admins where user_id = ${person.id}`;
  } finally {
    await api.close();
  }
});

Deno.test("bad input to the read model gets PostgREST's and Realtime's errors", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId } = await scenario(api);
    const person = await createPasswordUser(api.url, "typo");
    await bison(api, [
      "member",
      "add",
      "--email",
      person.email,
      "--workspace",
      String(workspaceId),
    ]);
    const client = await signedIn(api, person);

    const tooMany = await client.rpc("workspace_daily_series", {
      workspace_id: workspaceId,
      days: 400,
    });
    assert.equal(tooMany.status, 400);
    assert.deepEqual(
      { code: tooMany.error?.code, message: tooMany.error?.message },
      { code: "22023", message: "days must be between 1 and 366, got 400" },
    );
    const notANumber = await client.rpc("workspace_daily_series", {
      workspace_id: workspaceId,
      days: "thirty" as unknown as number,
    });
    assert.equal(notANumber.status, 400);
    assert.equal(notANumber.error?.code, "22P02");
    const unknownArgument = await client.rpc(
      "workspace_daily_series",
      { workspace: workspaceId } as never,
    );
    assert.equal(unknownArgument.status, 404);
    assert.equal(unknownArgument.error?.code, "PGRST202");

    const unknownColumn = await client.from("workspace_kpis").select("period, sent" as "period")
      .eq("workspace_id", workspaceId);
    assert.equal(unknownColumn.status, 400);
    assert.equal(unknownColumn.error?.code, "42703");
    const badFilter = await client.from("activity_feed").select("id")
      .filter("occurred_at", "since" as "eq", "yesterday");
    assert.equal(badFilter.status, 400);
    assert.equal(badFilter.error?.code, "PGRST100");
    const badPeriod = await client.from("workspace_kpis").select("period")
      .eq("period_start", "last week");
    assert.equal(badPeriod.status, 400);
    assert.equal(badPeriod.error?.code, "22007");

    // A topic that names no workspace is nobody's.
    const nowhere = client.channel("workspace:all:metrics", { config: { private: true } });
    const refused = await subscribe(nowhere);
    await client.removeChannel(nowhere);
    assert.equal(refused.status, "CHANNEL_ERROR");
    assert.equal(
      refused.error?.message,
      "Unauthorized: You do not have permissions to read from this Channel topic: " +
        "workspace:all:metrics",
    );
    await closeClient(client);
  } finally {
    await api.close();
  }
});
