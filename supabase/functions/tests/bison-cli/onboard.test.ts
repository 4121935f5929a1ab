// `bison onboard` end to end against the simulator: one super-admin key onboards 30 workspaces
// (keys minted and kept in Vault, webhooks registered and proven by a test delivery, history
// backfilled), again without changing anything, and a bad key, URL or service stores nothing.
import assert from "node:assert/strict";
import { generatedDay } from "../../../../scripts/simulator/bison-simulator.ts";
import { onboardInstance, runOnboard, superAdminKey, withInstance } from "../_support/instance.ts";
import { connect, runBisonCli, testStack } from "../_support/stack.ts";

const stack = testStack();

Deno.test("one super-admin key onboards an instance of 30 workspaces, and again changes nothing", async () => {
  await withInstance({ workspaces: 30 }, async (instance) => {
    const { simulator, sql, connectionId } = instance;
    const run = await runOnboard(instance, ["--earlier-days", "3"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = run.result as Record<string, unknown>;
    assert.deepEqual(
      {
        workspaces: summary.workspaces,
        keys_created: summary.keys_created,
        webhooks_registered: summary.webhooks_registered,
        webhooks_verified: summary.webhooks_verified,
        failed: summary.failed,
      },
      {
        workspaces: 30,
        keys_created: 30,
        webhooks_registered: 30,
        webhooks_verified: 30,
        failed: [],
      },
    );
    assert.match(run.stderr, /30 of 30: workspace \d+/, "progress on stderr");
    assert.equal(run.stdout.trim().split("\n").length, 1, "stdout is the JSON summary only");

    // Every workspace recorded with a key of its own in Vault, none printed.
    const keys = await sql`
      select w.bison_workspace_id::int, a.api_key, a.key_kind
      from public.workspaces w join private.workspace_api_access(null) a on a.workspace_id = w.id
      where w.connection_id = ${connectionId} order by 1`;
    assert.equal(keys.length, 30);
    assert.ok(keys.every((key) => key.key_kind === "workspace"));
    for (const key of keys) {
      assert.ok(!run.stdout.includes(key.api_key) && !run.stderr.includes(key.api_key));
    }
    assert.ok(!run.stdout.includes(superAdminKey) && !run.stderr.includes(superAdminKey));
    const [{ vaulted }] = await sql`
      select count(*)::int as vaulted from vault.secrets s
      join private.workspace_api_keys k on k.vault_secret_id = s.id
      join public.workspaces w on w.id = k.workspace_id where w.connection_id = ${connectionId}`;
    assert.equal(vaulted, 30);
    assert.equal(simulator.mintedKeyCount(7), 1);
    const [budget] = await sql`
      select 1 from private.bison_request_budgets where connection_id = ${connectionId}`;
    assert.ok(budget, "the CLI's requests took their turns in the connection's shared budget");

    // One subscription of ours per workspace, for all 17 event types, proven by a test delivery
    // that was never ingested (samples carry fixture ids).
    const [{ url }] = await sql`select private.connection_webhook_url(${connectionId}) as url`;
    for (const workspace of simulator.workspaces) {
      assert.equal(workspace.webhooks!.length, 1, `workspace ${workspace.id}`);
      assert.equal(workspace.webhooks![0].url, url);
      assert.equal(workspace.webhooks![0].events.length, 17);
    }
    assert.equal(simulator.testDeliveries.length, 30);
    assert.ok(simulator.testDeliveries.every((delivery) => delivery.status === 200));
    const [{ events }] = await sql`
      select count(*)::int as events from private.webhook_events
      where connection_id = ${connectionId}`;
    assert.equal(events, 0, "test samples are not stored as events");

    // History: the month to date and 3 earlier days, from Bison's series, marked as such.
    const [window] = await sql`
      select first_day::text, boundary_day::text
      from private.backfill_window(${await instance.workspaceId(5)}, 3)`;
    const days = await sql`
      select m.day::text, m.emails_sent, m.source from public.workspace_daily_metrics m
      where m.workspace_id = ${await instance.workspaceId(5)} order by m.day`;
    assert.equal(days[0].day, window.first_day);
    assert.equal(days.at(-1)!.day, window.boundary_day);
    assert.ok(days.slice(0, -1).every((day) => day.source === "bison_stats"));
    assert.equal(days.at(-1)!.source, "bison_stats_and_events");
    for (const day of days) assert.equal(day.emails_sent, generatedDay(5, day.day).sent, day.day);
    const [monthToDate] = await sql`
      select emails_sent::int from public.workspace_month_to_date
      where workspace_id = ${await instance.workspaceId(5)}`;
    assert.equal(
      monthToDate.emails_sent,
      days.filter((day) => day.day >= window.boundary_day.slice(0, 8) + "01")
        .reduce((sum, day) => sum + day.emails_sent, 0),
      "the month to date is right from the first hour",
    );

    // Again: nothing is already wrong, so nothing changes.
    const requestsBefore = simulator.requests.length;
    const again = await onboardInstance(instance);
    assert.deepEqual(
      [again.keys_created, again.webhooks_registered, again.webhooks_verified, again.failed],
      [0, 0, 30, []],
    );
    assert.equal(simulator.mintedKeyCount(7), 1, "no second key minted");
    assert.ok(simulator.workspaces.every((workspace) => workspace.webhooks!.length === 1));
    assert.equal(simulator.testDeliveries.length, 30, "a verified URL is not tested again");
    assert.ok(
      !simulator.requests.slice(requestsBefore).some((r) =>
        r.path.endsWith("/line-area-chart-stats")
      ),
      "history is not backfilled twice",
    );
  });
});

Deno.test("a stale key is replaced and a deleted webhook registered again on the next onboard", async () => {
  await withInstance({ workspaces: 3 }, async (instance) => {
    await onboardInstance(instance, ["--no-backfill"]);
    instance.simulator.revokeMintedKeys(2);
    instance.simulator.workspaces[2].webhooks!.length = 0;
    const again = await onboardInstance(instance, ["--no-backfill"]);
    assert.equal(again.keys_created, 1, "the refused key of workspace 2 is replaced");
    assert.equal(again.webhooks_registered, 1, "workspace 3's webhook is registered again");
    assert.equal(instance.simulator.workspaces[2].webhooks!.length, 1);
    const [{ detail }] = await instance.sql`
      select detail from private.webhook_subscription_repairs
      where workspace_id = ${await instance.workspaceId(3)}`;
    assert.match(detail, /registered again/);
  });
});

Deno.test("a refused key, an unreachable URL or another service is exit 2 and stores nothing", async () => {
  await withInstance({ workspaces: 2 }, async (instance) => {
    const refused = await instance.cli([
      "onboard",
      "--connection",
      instance.connectionName,
      "--api-key",
      "not-the-super-admin-key",
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--api-key: the instance refused the key \(HTTP 401\)/);
    assert.ok(!refused.stderr.includes("not-the-super-admin-key"), "the key is never echoed");
    const [{ count }] = await instance.sql`
      select count(*)::int from public.workspaces where connection_id = ${instance.connectionId}`;
    assert.equal(count, 0);
  });

  const sql = connect();
  const html = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("<html>a blog</html>", { headers: { "content-type": "text/html" } }),
  );
  const names: string[] = [];
  try {
    for (
      const [baseUrl, expected] of [
        ["http://127.0.0.1:9", /cannot be reached/],
        [`http://127.0.0.1:${html.addr.port}`, /does not answer like Email Bison/],
      ] as const
    ) {
      const name = `unreachable-${crypto.randomUUID()}`;
      names.push(name);
      const connectTo = (...extra: string[]) =>
        runBisonCli(["connect", "--name", name, "--base-url", baseUrl, ...extra]);
      const checked = await connectTo("--allow-private-address");
      assert.equal(checked.code, 2, checked.stderr);
      assert.match(checked.stderr, expected);
      const offline = await connectTo("--allow-private-address", "--no-check");
      assert.equal(offline.code, 0, "--no-check connects without asking the instance");
      const onboard = await runBisonCli([
        "onboard",
        "--connection",
        name,
        "--api-key",
        superAdminKey,
      ]);
      assert.equal(onboard.code, 2, onboard.stderr);
      assert.match(onboard.stderr, expected);
    }
    const [{ count }] = await sql`
      select count(*)::int from public.workspaces w join public.bison_connections c
        on c.id = w.connection_id where c.name = any(${names})`;
    assert.equal(count, 0);
  } finally {
    await sql`
      select private.purge_connection(id) from public.bison_connections where name = any(${names})`;
    await sql.end();
    await html.shutdown();
  }
});

Deno.test("the reconciliation settles the backfill's boundary day with Bison's whole day", async () => {
  await withInstance({ workspaces: 1 }, async (instance) => {
    const { sql } = instance;
    await onboardInstance(instance, ["--earlier-days", "2"]);
    const workspaceId = await instance.workspaceId(1);
    // A day later: yesterday was the boundary day, Bison's count of the morning plus the events
    // of the afternoon (one of them also in Bison's count: it was in flight at the backfill).
    const [{ yesterday }] = await sql`
      update private.workspace_backfills set boundary_day = boundary_day - 1
      where workspace_id = ${workspaceId} returning boundary_day::text as yesterday`;
    await sql`
      update public.workspace_daily_metrics set source = 'bison_stats_and_events',
        emails_sent = emails_sent + 7
      where workspace_id = ${workspaceId} and day = ${yesterday}`;
    const response = await fetch(`${instance.functionsUrl}/check-system-health/reconcile`, {
      method: "POST",
      headers: { "x-cron-secret": stack.cronSecret, "content-type": "application/json" },
      body: JSON.stringify({ workspace_id: workspaceId }),
    });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).boundary_days_settled, 1);
    const [day] = await sql`
      select emails_sent, source from public.workspace_daily_metrics
      where workspace_id = ${workspaceId} and day = ${yesterday}`;
    assert.deepEqual({ ...day }, {
      emails_sent: generatedDay(1, yesterday).sent,
      source: "bison_stats",
    });
  });
});
