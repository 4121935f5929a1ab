// Webhook subscriptions heal themselves: a webhook deleted in Bison, an event disabled, a copy left
// on a rotated token, are all repaired by the next scheduled check (the pg_cron job's own call)
// and by `bison webhooks verify`; repairs are announced in Slack once; a workspace whose repair
// fails is a health finding.
import assert from "node:assert/strict";
import { onboardInstance, withInstance } from "../_support/instance.ts";
import { runCronJob, startTestDispatcher, testStack, withProjectUrl } from "../_support/stack.ts";

const stack = testStack();

Deno.test("a deleted webhook, a disabled event and a stale copy are repaired by the next check", async () => {
  await withInstance({ workspaces: 3 }, async (instance) => {
    const { simulator, sql } = instance;
    await onboardInstance(instance, ["--no-backfill"]);
    const [{ url }] = await sql`
      select private.connection_webhook_url(${instance.connectionId}) as url`;
    const [one, two, three] = simulator.workspaces;
    // Behind our back, in Bison: a webhook deleted, an event switched off, and a copy of ours
    // left on an older token beside a stranger's subscription.
    one.webhooks!.length = 0;
    two.webhooks![0].events = two.webhooks![0].events.filter((event) => event !== "lead_replied");
    three.webhooks!.push(
      { ...three.webhooks![0], id: 99_001, url: url.replace(/[^/]+$/, "x".repeat(43)) },
      { ...three.webhooks![0], id: 99_002, name: "Zapier", url: "https://hooks.example.test/z" },
    );

    // The scheduled check: the cron job's command, its call performed by the dispatcher.
    const dispatcher = startTestDispatcher();
    try {
      await withProjectUrl(sql, instance.gateway.url, async () => {
        const requestId = await runCronJob(sql, "check-webhook-subscriptions");
        const [response] = await waitForResponse(sql, Number(requestId));
        assert.equal(response.status_code, 200, response.content);
        const summary = JSON.parse(response.content);
        assert.equal(summary.repaired.length, 3, response.content);
      });
    } finally {
      await dispatcher.stop();
    }

    assert.deepEqual(one.webhooks!.map((w) => [w.url, w.events.length]), [[url, 17]]);
    assert.equal(two.webhooks![0].events.length, 17, "the disabled event is enabled again");
    assert.deepEqual(
      three.webhooks!.map((w) => w.url).sort(),
      ["https://hooks.example.test/z", url].sort(),
      "the stale copy is gone and the stranger's subscription untouched",
    );
    const checks = await sql`
      select w.bison_workspace_id::int as bison, s.status, s.detail
      from private.webhook_subscriptions s join public.workspaces w on w.id = s.workspace_id
      where w.connection_id = ${instance.connectionId} order by 1`;
    assert.deepEqual(checks.map((c) => c.status), ["repaired", "repaired", "repaired"]);
    assert.match(checks[0].detail, /registered again/);
    assert.match(checks[1].detail, /1 event\(s\) were disabled \(lead_replied\)/);
    assert.match(checks[2].detail, /removed 1 duplicate/);

    // Announced once, in one Slack message.
    // (Other tests' repairs may be queued too: only this connection's count here.)
    const ours = `%${instance.connectionName}%`;
    const alerts = await sql`
      select message from private.health_alerts
      where kind = 'webhook_repairs' and message::text like ${ours}`;
    assert.equal(alerts.length, 1);
    assert.match(JSON.stringify(alerts[0].message), /3 webhook subscription\(s\) repaired/);

    // Checked again: all in place, nothing more announced.
    const verify = await instance.cli([
      "webhooks",
      "verify",
      "--connection",
      instance.connectionName,
    ]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.deepEqual(verify.result, { workspaces: 3, ok: 3, repaired: [], failed: [] });
    const [{ count }] = await sql`
      select count(*)::int from private.health_alerts
      where kind = 'webhook_repairs' and message::text like ${ours}`;
    assert.equal(count, 1);
  });
});

Deno.test("a subscription that cannot be repaired is a health finding until it is", async () => {
  await withInstance({ workspaces: 2 }, async (instance) => {
    const { simulator, sql } = instance;
    await onboardInstance(instance, ["--no-backfill"]);
    simulator.workspaces[1].webhooks!.length = 0;
    simulator.injectFault({
      path: "/api/webhook-url",
      method: "POST",
      workspaceId: 2,
      status: 403,
    });

    const verify = await instance.cli([
      "webhooks",
      "verify",
      "--connection",
      instance.connectionName,
    ]);
    assert.equal(verify.code, 1, "a failed repair is an operational failure");
    const summary = verify.result as { failed: { workspace: number; reason: string }[] };
    assert.deepEqual(summary.failed.map((f) => f.workspace), [2]);
    assert.match(summary.failed[0].reason, /refused \(403/);

    const findings = await sql`
      select scope, status, message from private.webhook_subscription_findings()
      where connection_id = ${instance.connectionId} order by scope`;
    const byWorkspace = new Map(findings.map((f) => [f.scope, f]));
    const second = byWorkspace.get(`workspace:${await instance.workspaceId(2)}`)!;
    assert.equal(second.status, "down");
    assert.match(second.message, /could not be repaired/);
    assert.equal(byWorkspace.get(`workspace:${await instance.workspaceId(1)}`)!.status, "healthy");

    // Bison accepts it again: the next check (the function pg_cron calls) repairs it, and the
    // finding clears.
    simulator.clearFaults();
    const response = await fetch(`${instance.functionsUrl}/check-webhook-subscriptions`, {
      method: "POST",
      headers: { "x-cron-secret": stack.cronSecret, "content-type": "application/json" },
      body: JSON.stringify({ connection_id: instance.connectionId }),
    });
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.deepEqual(body.repaired.map((r: { detail: string }) => r.detail), [
      "registered again (it had been deleted)",
    ]);
    const [after] = await sql`
      select status from private.webhook_subscription_findings()
      where scope = ${`workspace:${await instance.workspaceId(2)}`}`;
    assert.equal(after.status, "healthy");
  });
});

async function waitForResponse(sql: import("postgres").Sql, requestId: number) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const rows = await sql`
      select status_code, content from net._http_response where id = ${requestId}`;
    if (rows.length) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer to request ${requestId}`);
}
