// check-system-health end to end: checks over the test database, Slack through a local
// Slack-compatible server, and the emergency catch-up against the Bison simulator.
import assert from "node:assert/strict";
import { connect, runBisonCli, startTestGateway, testStack } from "../_support/stack.ts";
import {
  generateMailboxes,
  startBisonSimulator,
} from "../../../../scripts/simulator/bison-simulator.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";
import { startSlack } from "../_support/slack.ts";

const stack = testStack();
const sql = connect(stack);

async function withHealth(
  body: (context: {
    gatewayUrl: string;
    slack: ReturnType<typeof startSlack>;
    runChecks: () => Promise<Record<string, unknown>>;
    connectionName: string;
  }) => Promise<void>,
  slackFailures = 0,
) {
  const slack = startSlack(slackFailures);
  const gateway = await startTestGateway();
  const connectionName = `health-${crypto.randomUUID()}`;
  await sql`select vault.create_secret(${slack.url}, 'slack_webhook_url')`;
  // Alerts of earlier suites must not be delivered to this test's Slack.
  await sql`update private.health_alerts set sent_at = now() where sent_at is null`;
  try {
    const runChecks = async () => {
      const response = await fetch(`${gateway.url}/functions/v1/check-system-health`, {
        method: "POST",
        headers: { "x-cron-secret": stack.cronSecret },
      });
      assert.equal(response.status, 200);
      return await response.json();
    };
    await body({ gatewayUrl: gateway.url, slack, runChecks, connectionName });
  } finally {
    await sql`delete from vault.secrets where name = 'slack_webhook_url'`;
    await sql`delete from public.bison_connections where name = ${connectionName}`;
    await gateway.close();
    await slack.close();
  }
}

async function connectWorkspace(connectionName: string, gatewayUrl: string, baseUrl: string) {
  const connected = await runBisonCli(
    [
      "connect",
      "--name",
      connectionName,
      "--base-url",
      baseUrl,
      "--allow-private-address",
      "--no-check",
    ],
    `${gatewayUrl}/functions/v1`,
  );
  assert.equal(connected.code, 0, connected.stderr);
  const { connection_id, webhook_url } = connected.result as {
    connection_id: string;
    webhook_url: string;
  };
  const added = await runBisonCli([
    "add-workspace",
    "--no-check",
    "--connection",
    connectionName,
    "--workspace-id",
    "1",
    "--name",
    `Client ${connectionName.slice(-6)}`,
    "--api-key",
    "sim-key-1-abcdef",
  ]);
  assert.equal(added.code, 0, added.stderr);
  return {
    connectionId: connection_id,
    webhookUrl: webhook_url,
    workspaceId: (added.result as { workspace_id: number }).workspace_id,
    name: `Client ${connectionName.slice(-6)}`,
  };
}

/** Four weeks of webhook traffic around this hour of the week, and nothing recent. */
async function busyHistory(connectionId: string, workspaceId: number) {
  await sql`
    insert into private.webhook_events
      (connection_id, workspace_id, event_type, idempotency_key, payload, received_at, occurred_at,
       status)
    select ${connectionId}, ${workspaceId}, 'email_sent', gen_random_uuid()::text, '{}',
           now() - make_interval(days => 7 * week) + make_interval(mins => minute),
           now() - make_interval(days => 7 * week), 'processed'
    from generate_series(1, 4) week, generate_series(-100, 100, 5) minute`;
}

const mentions = (messages: { text: string; blocks: unknown[] }[], needle: string) =>
  messages.filter((message) => JSON.stringify(message.blocks).includes(needle));

Deno.test("a workspace quiet in its busy hour alerts once, reminds after the interval, resolves when events return", async () => {
  await withHealth(async ({ gatewayUrl, slack, runChecks, connectionName }) => {
    const workspace = await connectWorkspace(connectionName, gatewayUrl, "http://127.0.0.1:9");
    await busyHistory(workspace.connectionId, workspace.workspaceId);

    await runChecks();
    const [status] = await sql`
      select status, message from public.system_health
      where check_name = 'webhook_silence' and workspace_id = ${workspace.workspaceId}`;
    assert.equal(status.status, "down");
    assert.match(status.message, /no webhook for 00:30:00/);
    assert.equal(mentions(slack.accepted, workspace.name).length, 1, "one alert");
    assert.match(slack.accepted.at(-1)!.text, /new problem/);

    await runChecks();
    assert.equal(mentions(slack.accepted, workspace.name).length, 1, "no repeat within the hour");

    await sql`update private.health_state set value = value - interval '61 minutes'
              where key = 'last_alert_at'`;
    await runChecks();
    const afterReminder = mentions(slack.accepted, workspace.name);
    assert.equal(afterReminder.length, 2);
    assert.match(slack.accepted.at(-1)!.text, /still unhealthy/);

    const delivered = await fetch(workspace.webhookUrl, {
      method: "POST",
      body: JSON.stringify(
        bisonEvent("EMAIL_SENT", { id: Date.now(), workspaceId: 1, workspaceName: workspace.name }),
      ),
    });
    await delivered.body?.cancel();
    await runChecks();
    assert.match(slack.accepted.at(-1)!.text, /resolved/);
    assert.equal(mentions([slack.accepted.at(-1)!], workspace.name).length, 1);
  });
});

Deno.test("a workspace quiet at its usual quiet hour does not alert", async () => {
  await withHealth(async ({ gatewayUrl, slack, runChecks, connectionName }) => {
    const workspace = await connectWorkspace(connectionName, gatewayUrl, "http://127.0.0.1:9");
    await runChecks();
    const [status] = await sql`
      select status, message from public.system_health
      where check_name = 'webhook_silence' and workspace_id = ${workspace.workspaceId}`;
    assert.equal(status.status, "healthy");
    assert.match(status.message, /quiet hour/);
    assert.equal(mentions(slack.accepted, `webhook_silence* ${workspace.name}`).length, 0);
  });
});

Deno.test("a burst of disconnects produces one grouped message", async () => {
  await withHealth(async ({ gatewayUrl, slack, runChecks, connectionName }) => {
    const workspace = await connectWorkspace(connectionName, gatewayUrl, "http://127.0.0.1:9");
    await runChecks();
    for (let mailbox = 1; mailbox <= 6; mailbox++) {
      const response = await fetch(workspace.webhookUrl, {
        method: "POST",
        body: JSON.stringify(
          bisonEvent("EMAIL_ACCOUNT_DISCONNECTED", {
            id: mailbox,
            workspaceId: 1,
            workspaceName: workspace.name,
            senderEmailId: 7000 + mailbox,
            at: new Date().toISOString(),
          }),
        ),
      });
      await response.body?.cancel();
    }
    await runChecks();
    const grouped = slack.accepted.filter((message) => /disconnected/.test(message.text));
    const ours = mentions(grouped, workspace.name);
    assert.equal(ours.length, 1, "one message for the burst");
    assert.match(JSON.stringify(ours[0].blocks), /6 mailbox\(es\) disconnected/);
  });
});

Deno.test("Slack failing then recovering delivers the alert exactly once", async () => {
  await withHealth(async ({ gatewayUrl, slack, runChecks, connectionName }) => {
    const workspace = await connectWorkspace(connectionName, gatewayUrl, "http://127.0.0.1:9");
    await busyHistory(workspace.connectionId, workspace.workspaceId);
    const first = await runChecks();
    assert.equal(first.alerts_sent, 0, "Slack answered 500: nothing counted as sent");
    const [pending] = await sql`
      select count(*)::int as n from private.health_alerts where sent_at is null`;
    assert.ok(pending.n >= 1, "the alert waits for the next run");
    await runChecks();
    assert.equal(mentions(slack.accepted, workspace.name).length, 1);
    await runChecks();
    assert.equal(mentions(slack.accepted, workspace.name).length, 1, "and never again");
  }, 1);
});

Deno.test("an emergency catch-up of interested replies, then the late webhooks, counts each reply once", async () => {
  const simulator = startBisonSimulator({
    workspaces: [{
      id: 1,
      name: "Client",
      apiKey: "sim-key-1-abcdef",
      mailboxes: generateMailboxes(3),
      interestedReplies: [501, 502, 503].map((id) => ({
        id,
        uuid: `uuid-${id}`,
        subject: "Re: hello",
        // A NUL byte, as mangled mail carries: jsonb refuses it unless it is removed.
        text_body: id === 503 ? "yes\u0000 please" : "yes please",
        date_received: new Date().toISOString(),
        from_email_address: `lead${id}@example.test`,
        interested: true,
        lead_id: id + 1000,
        campaign_id: 2,
      })),
      stats: {
        emails_sent: "10",
        total_leads_contacted: "10",
        opened: "0",
        unique_replies_per_contact: "3",
        bounced: "0",
        unsubscribed: "0",
        interested: "3",
      },
    }],
  });
  try {
    await withHealth(async ({ gatewayUrl, connectionName }) => {
      const workspace = await connectWorkspace(connectionName, gatewayUrl, simulator.url);
      const response = await fetch(`${gatewayUrl}/functions/v1/check-system-health/catch-up`, {
        method: "POST",
        headers: { "x-cron-secret": stack.cronSecret },
        body: JSON.stringify({ workspace_id: workspace.workspaceId }),
      });
      const result = await response.json();
      assert.equal(response.status, 200, JSON.stringify(result));
      assert.equal(result.replies_ingested, 3);
      const interested = async () => {
        const [row] = await sql`
          select coalesce(sum(interested), 0)::int as n from public.workspace_daily_metrics
          where workspace_id = ${workspace.workspaceId}`;
        return row.n;
      };
      assert.equal(await interested(), 3);
      for (const id of [501, 502, 503]) {
        const late = await fetch(workspace.webhookUrl, {
          method: "POST",
          body: JSON.stringify(
            bisonEvent("LEAD_INTERESTED", { id, workspaceId: 1, leadId: id + 1000 }),
          ),
        });
        assert.equal((await late.json()).status, "duplicate");
      }
      assert.equal(await interested(), 3, "each reply once");
      const [stats] = await sql`
        select interested, replies from public.bison_daily_stats
        where workspace_id = ${workspace.workspaceId}`;
      assert.deepEqual({ ...stats }, { interested: 3, replies: 3 });
      const [poll] = await sql`
        select count(*)::int as n from private.edge_function_calls
        where function_path = 'poll-sender-emails' and called_at > now() - interval '1 minute'`;
      assert.ok(poll.n >= 1, "a mailbox poll was requested");
    });
  } finally {
    await simulator.close();
  }
});

Deno.test("catch-up and reconcile through a super-admin key read each workspace's own data", async () => {
  const replyOf = (id: number, workspace: number) => ({
    id,
    uuid: `uuid-${id}`,
    subject: "Re: hello",
    text_body: `yes from ${workspace}`,
    date_received: new Date().toISOString(),
    from_email_address: `lead${id}@example.test`,
    interested: true,
    lead_id: id + 1000,
    campaign_id: 2,
  });
  const statsOf = (interested: number) => ({
    emails_sent: "10",
    total_leads_contacted: "10",
    opened: "0",
    unique_replies_per_contact: String(interested),
    bounced: "0",
    unsubscribed: "0",
    interested: String(interested),
  });
  // The key starts out switched to workspace 31.
  const simulator = startBisonSimulator({
    superAdminKey: "super-admin-key-health",
    workspaces: [31, 32].map((id) => ({
      id,
      name: `Client ${id}`,
      apiKey: `unused-${id}-abcdef`,
      mailboxes: generateMailboxes(2, id * 1000),
      interestedReplies: [replyOf(id * 100 + 1, id)],
      stats: statsOf(id - 30),
    })),
  });
  try {
    await withHealth(async ({ gatewayUrl, connectionName }) => {
      const connected = await runBisonCli(
        [
          "connect",
          "--name",
          connectionName,
          "--base-url",
          simulator.url,
          "--allow-private-address",
        ],
        `${gatewayUrl}/functions/v1`,
      );
      assert.equal(connected.code, 0, connected.stderr);
      const ids = new Map<number, number>();
      for (const bisonId of [31, 32]) {
        const added = await runBisonCli([
          "add-workspace",
          "--no-check",
          "--connection",
          connectionName,
          "--workspace-id",
          String(bisonId),
          "--api-key",
          "super-admin-key-health",
          "--super-admin",
        ]);
        assert.equal(added.code, 0, added.stderr);
        ids.set(bisonId, (added.result as { workspace_id: number }).workspace_id);
      }
      const call = async (route: string, body: Record<string, unknown>) => {
        const response = await fetch(`${gatewayUrl}/functions/v1/check-system-health/${route}`, {
          method: "POST",
          headers: { "x-cron-secret": stack.cronSecret },
          body: JSON.stringify(body),
        });
        const result = await response.json();
        assert.equal(response.status, 200, JSON.stringify(result));
        return result;
      };

      const caughtUp = await call("catch-up", { workspace_id: ids.get(32) });
      assert.equal(caughtUp.replies_ingested, 1);
      const replies = await sql`
        select bison_reply_id::int as id, text_body from public.replies
        where workspace_id = ${ids.get(32)!}`;
      assert.deepEqual(replies.map((row) => ({ ...row })), [{
        id: 3201,
        text_body: "yes from 32",
      }]);
      const [today] = await sql`
        select interested from public.bison_daily_stats where workspace_id = ${ids.get(32)!}`;
      assert.equal(today.interested, 2, "workspace 32's own stats, not those of 31");

      // The key is now switched to 32: reconciling 31 must switch it back.
      await call("reconcile", { workspace_id: ids.get(31) });
      const [stats] = await sql`
        select interested from public.bison_daily_stats where workspace_id = ${ids.get(31)!}`;
      assert.equal(stats.interested, 1, "workspace 31's own stats, not those of 32");
    });
  } finally {
    await simulator.close();
  }
});

Deno.test("names from Bison reach Slack as text: no mention, no disguised link", async () => {
  // Reproduction: a workspace named "<!channel> <https://evil.example|re-authenticate>" was
  // posted as is, so Slack notified the whole channel and showed a disguised link.
  const evil = "<!channel> <https://evil.example|re-authenticate>";
  await withHealth(async ({ gatewayUrl, slack, runChecks, connectionName }) => {
    const workspace = await connectWorkspace(connectionName, gatewayUrl, "http://127.0.0.1:9");
    await runChecks();
    const response = await fetch(workspace.webhookUrl, {
      method: "POST",
      body: JSON.stringify(
        bisonEvent("EMAIL_ACCOUNT_DISCONNECTED", {
          id: 1,
          workspaceId: 1,
          workspaceName: evil,
          senderEmailId: 7101,
          at: new Date().toISOString(),
        }),
      ),
    });
    assert.equal((await response.json()).status, "processed");
    await runChecks();
    const posted = slack.accepted.filter((message) => /disconnected/.test(message.text));
    assert.equal(posted.length, 1);
    const body = JSON.stringify(posted[0]);
    assert.ok(!body.includes("<!channel>"), body);
    assert.ok(!body.includes("<https://evil.example"), body);
    assert.ok(body.includes("&lt;!channel&gt; &lt;https://evil.example|re-authenticate&gt;"), body);
  });
});

/** A dead man's switch service (Healthchecks-style): counts the pings it gets. */
function startHeartbeat() {
  const pings: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    pings.push(request.method);
    return new Response("OK");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/ping/00000000-fake-check`,
    pings,
    close: () => server.shutdown(),
  };
}

Deno.test("each good run pings the dead man's switch; a run whose alerts failed does not", async () => {
  const heartbeat = startHeartbeat();
  await sql`select vault.create_secret(${heartbeat.url}, 'health_heartbeat_url')`;
  try {
    await withHealth(async ({ gatewayUrl, runChecks, connectionName }) => {
      const workspace = await connectWorkspace(connectionName, gatewayUrl, "http://127.0.0.1:9");
      await busyHistory(workspace.connectionId, workspace.workspaceId);
      // Slack refuses the first post: the alert is not delivered, so no heartbeat.
      const failing = await runChecks();
      assert.equal(failing.heartbeat, "withheld: alerts could not be delivered");
      assert.deepEqual(heartbeat.pings, []);
      const good = await runChecks();
      assert.equal(good.heartbeat, "sent");
      assert.deepEqual(heartbeat.pings, ["GET"]);
      const [run] = await sql`
        select value > now() - interval '1 minute' as recent from private.health_state
        where key = 'last_function_run_at'`;
      assert.equal(run.recent, true, "the run is recorded for the health_runs check");
    }, 1);
  } finally {
    await sql`delete from vault.secrets where name = 'health_heartbeat_url'`;
    await heartbeat.close();
  }
});

Deno.test("the hourly reconciliation makes interest follow Bison, per local day", async () => {
  // LEAD_INTERESTED fires only the first time: un-marking and re-marking are only in Bison's
  // list of interested replies.
  const replyOf = (id: number) => ({
    id,
    uuid: `uuid-${id}`,
    subject: "Re: hello",
    text_body: "yes please",
    date_received: new Date().toISOString(),
    from_email_address: `lead${id}@example.test`,
    interested: true,
    lead_id: id + 1000,
    campaign_id: 2,
  });
  const marked = [601, 602, 603, 604, 605, 606].map(replyOf);
  const simulator = startBisonSimulator({
    workspaces: [{
      id: 1,
      name: "Client",
      apiKey: "sim-key-1-abcdef",
      mailboxes: generateMailboxes(2),
      interestedReplies: [...marked],
    }],
  });
  try {
    await withHealth(async ({ gatewayUrl, connectionName }) => {
      const workspace = await connectWorkspace(connectionName, gatewayUrl, simulator.url);
      const reconcile = async () => {
        const response = await fetch(`${gatewayUrl}/functions/v1/check-system-health/reconcile`, {
          method: "POST",
          headers: { "x-cron-secret": stack.cronSecret },
          body: JSON.stringify({ workspace_id: workspace.workspaceId }),
        });
        const result = await response.json();
        assert.equal(response.status, 200, JSON.stringify(result));
        assert.deepEqual(result.failed, []);
        return result.interested[0];
      };
      const interestedToday = async () => {
        const [row] = await sql`
          select coalesce(sum(interested), 0)::int as n from public.workspace_daily_metrics
          where workspace_id = ${workspace.workspaceId}
            and day = private.local_day(${workspace.workspaceId}::bigint, now())`;
        return row.n;
      };
      await reconcile();
      assert.equal(await interestedToday(), 6, "the six interested replies, never seen before");
      // Someone un-marks reply 603 in Bison.
      simulator.workspaces[0].interestedReplies = marked.filter((reply) => reply.id !== 603);
      assert.deepEqual(await reconcile(), {
        workspace_id: workspace.workspaceId,
        marked: 0,
        unmarked: 1,
        held: false,
      });
      assert.equal(await interestedToday(), 5, "taken back");
      // ...and marks it again.
      simulator.workspaces[0].interestedReplies = [...marked];
      assert.equal((await reconcile()).marked, 1);
      assert.equal(await interestedToday(), 6, "counted again");
    });
  } finally {
    await simulator.close();
  }
});

Deno.test("only the cron secret may run checks; bad bodies are refused clearly", async () => {
  const gateway = await startTestGateway();
  try {
    const base = `${gateway.url}/functions/v1/check-system-health`;
    const anonymous = await fetch(base, { method: "POST" });
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 401);
    const headers = { "x-cron-secret": stack.cronSecret };
    const bad = await fetch(`${base}/catch-up`, {
      method: "POST",
      headers,
      body: '{"workspace_id":"x"}',
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /workspace_id/);
    const unknown = await fetch(`${base}/nope`, { method: "POST", headers });
    await unknown.body?.cancel();
    assert.equal(unknown.status, 404);
  } finally {
    await gateway.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
