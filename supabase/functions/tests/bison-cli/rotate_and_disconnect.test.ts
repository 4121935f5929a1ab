// A connection's lifecycle after onboarding: rotating its webhook token with a delivery in flight
// (the old token stays valid for the grace period while every registration moves to the new URL),
// disconnecting it (registrations deleted where the keys work, credentials forgotten, history
// kept) and purging it.
import assert from "node:assert/strict";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";
import { onboardInstance, withInstance } from "../_support/instance.ts";
import { testStack } from "../_support/stack.ts";

const stack = testStack();

Deno.test("rotating the token with a delivery in flight loses nothing", async () => {
  await withInstance({ workspaces: 2 }, async (instance) => {
    const { simulator, sql } = instance;
    await onboardInstance(instance, ["--no-backfill"]);
    const [{ url: oldUrl }] = await sql`
      select private.connection_webhook_url(${instance.connectionId}) as url`;

    // Bison has started a delivery to the old URL: headers sent, body still on its way.
    let finishBody!: () => void;
    const body = JSON.stringify(bisonEvent("EMAIL_SENT", { id: 7_700_001, workspaceId: 1 }));
    const inFlight = fetch(oldUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(body.slice(0, 20)));
          finishBody = () => {
            controller.enqueue(new TextEncoder().encode(body.slice(20)));
            controller.close();
          };
        },
      }),
      // @ts-ignore: Deno streams request bodies with duplex half
      duplex: "half",
    });

    const rotated = await instance.cli(["rotate-token", "--connection", instance.connectionName]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const result = rotated.result as {
      webhook_url: string;
      previous_token_valid_until: string;
      webhooks_updated: number;
      failed: unknown[];
    };
    assert.equal(result.webhooks_updated, 2);
    assert.deepEqual(result.failed, []);
    const graceMinutes = (Date.parse(result.previous_token_valid_until) - Date.now()) / 60_000;
    assert.ok(graceMinutes > 14 && graceMinutes <= 15, `default grace 15 min, got ${graceMinutes}`);

    finishBody();
    const delivered = await inFlight;
    assert.equal(delivered.status, 200, "the delivery in flight is accepted");
    assert.equal((await delivered.json()).status, "processed");

    // Every registration now points at the new URL; the move is no repair to announce.
    for (const workspace of simulator.workspaces) {
      assert.deepEqual(workspace.webhooks!.map((w) => w.url), [result.webhook_url]);
    }
    const [{ announced }] = await sql`
      select count(*)::int as announced from private.webhook_subscription_repairs r
      join public.workspaces w on w.id = r.workspace_id
      where w.connection_id = ${instance.connectionId}`;
    assert.equal(announced, 0);

    // A late retry to the old URL still counts during the grace period, once; then it is refused.
    const retry = () =>
      fetch(oldUrl, {
        method: "POST",
        body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: 7_700_002, workspaceId: 1 })),
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    assert.deepEqual((await retry()).body.status, "processed");
    await sql`
      update private.webhook_token_versions set expires_at = now()
      where connection_id = ${instance.connectionId} and expires_at is not null`;
    assert.equal((await retry()).status, 401);
    const newDelivery = await fetch(result.webhook_url, {
      method: "POST",
      body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: 7_700_003, workspaceId: 1 })),
    });
    assert.equal(newDelivery.status, 200);
    await newDelivery.body?.cancel();
    const [{ sent }] = await sql`
      select coalesce(sum(m.emails_sent), 0)::int as sent from public.workspace_daily_metrics m
      where m.workspace_id = ${await instance.workspaceId(1)}`;
    assert.equal(sent, 3, "each delivery counted once");
  });
});

Deno.test("disconnecting deletes our registrations, forgets every credential and keeps history", async () => {
  await withInstance({ workspaces: 3 }, async (instance) => {
    const { simulator, sql } = instance;
    await onboardInstance(instance, ["--no-backfill"]);
    const [{ url }] = await sql`
      select private.connection_webhook_url(${instance.connectionId}) as url`;
    const event = await fetch(url, {
      method: "POST",
      body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: 7_800_001, workspaceId: 2 })),
    });
    assert.equal(event.status, 200);
    await event.body?.cancel();
    simulator.workspaces[2].webhooks!.push({
      id: 99_100,
      name: "Zapier",
      url: "https://hooks.example.test/z",
      events: ["email_sent"],
      created_at: "",
      updated_at: "",
    });
    // Workspace 1's key no longer works: its registration cannot be deleted from here.
    simulator.revokeMintedKeys(1);

    const purgeUnconfirmed = await instance.cli([
      "disconnect",
      "--connection",
      instance.connectionName,
      "--purge",
    ]);
    assert.equal(purgeUnconfirmed.code, 2);
    assert.match(purgeUnconfirmed.stderr, /confirm with --confirm/);

    const disconnected = await instance.cli([
      "disconnect",
      "--connection",
      instance.connectionName,
    ]);
    assert.equal(disconnected.code, 0, disconnected.stderr);
    const summary = disconnected.result as Record<string, unknown>;
    assert.equal(summary.webhooks_deleted, 2);
    assert.deepEqual((summary.failed as { workspace: number }[]).map((f) => f.workspace), [1]);
    assert.equal(summary.api_keys_forgotten, 3);
    assert.deepEqual(simulator.workspaces[1].webhooks, []);
    assert.deepEqual(simulator.workspaces[2].webhooks!.map((w) => w.name), ["Zapier"]);

    // Nothing is delivered, polled or checked any more; the history stays.
    const late = await fetch(url, {
      method: "POST",
      body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: 7_800_002, workspaceId: 2 })),
    });
    assert.equal(late.status, 401);
    await late.body?.cancel();
    const [state] = await sql`
      select
        (select count(*)::int from private.workspace_api_keys k join public.workspaces w
           on w.id = k.workspace_id where w.connection_id = ${instance.connectionId}) as keys,
        (select count(*)::int from vault.secrets
           where name like ${`%${instance.connectionId}%`}) as secrets,
        (select count(*)::int from private.webhook_subscription_targets(${instance.connectionId}))
          as targets,
        (select count(*)::int from private.workspace_api_access(null)
           where connection_id = ${instance.connectionId}) as pollable,
        (select count(*)::int from public.workspaces
           where connection_id = ${instance.connectionId}) as workspaces,
        (select count(*)::int from private.webhook_events
           where connection_id = ${instance.connectionId}) as events`;
    assert.deepEqual(state, {
      keys: 0,
      secrets: 0,
      targets: 0,
      pollable: 0,
      workspaces: 3,
      events: 1,
    });
    const poll = await instance.cli(["poll", "--workspace", String(await instance.workspaceId(2))]);
    assert.equal(poll.code, 2, "a disconnected workspace has no key to poll with");
    const listed = await instance.cli(["list", "--connection", instance.connectionName]);
    assert.match(listed.stdout, /disconnected \d{4}-\d{2}-\d{2}/);
    const onboardAgain = await instance.cli([
      "onboard",
      "--connection",
      instance.connectionName,
      "--api-key",
      "anything-at-all",
    ]);
    assert.equal(onboardAgain.code, 2);
    assert.match(onboardAgain.stderr, /was disconnected/);

    const purged = await instance.cli([
      "disconnect",
      "--connection",
      instance.connectionName,
      "--purge",
      "--confirm",
      instance.connectionName,
    ]);
    assert.equal(purged.code, 0, purged.stderr);
    assert.equal((purged.result as Record<string, unknown>).events_deleted, 1);
    const [{ left }] = await sql`
      select count(*)::int as left from public.bison_connections
      where id = ${instance.connectionId}`;
    assert.equal(left, 0);
  });
});

Deno.test("only the cron secret runs the webhook check; a bad body is refused clearly", async () => {
  await withInstance({ workspaces: 1 }, async (instance) => {
    const call = (headers: Record<string, string>, body: string) =>
      fetch(`${instance.functionsUrl}/check-webhook-subscriptions`, {
        method: "POST",
        headers,
        body,
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    assert.equal((await call({}, "{}")).status, 401);
    const bad = await call({ "x-cron-secret": stack.cronSecret }, '{"workspace_id": "x"}');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /workspace_id/);
  });
});
