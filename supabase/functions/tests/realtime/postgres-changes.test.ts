// postgres_changes through the local stack with the real supabase-js: the metric tables the
// migrations publish in supabase_realtime, filtered by RLS for each subscriber as Realtime does.
import assert from "node:assert/strict";
import type { RealtimeChannel } from "@supabase/supabase-js";
import { connect, startTestApi } from "../_support/stack.ts";
import {
  closeClient,
  frontendClient,
  Inbox,
  newUser,
  newWorkspace,
  subscribe,
} from "../_support/realtime.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";

const sql = connect();
let nextEventId = 5_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

type Change = {
  eventType: string;
  table: string;
  schema: string;
  commit_timestamp: string;
  new: Record<string, unknown>;
  old: Record<string, unknown>;
  errors: unknown;
};
type System = { extension: string; status: string; message: string; channel: string };

/** Subscribes and waits for Realtime's word that the postgres_changes subscription is live. */
async function subscribeToChanges(channel: RealtimeChannel): Promise<System> {
  const system = new Inbox<System>();
  channel.on("system", {}, (message) => system.push(message as System));
  assert.equal((await subscribe(channel)).status, "SUBSCRIBED");
  const [first] = await system.until("the postgres_changes system message", (m) => m.length > 0);
  return first;
}

const webhook = (url: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: nextEventId++ })),
  }).then(async (response) => assert.equal(response.status, 200, await response.text()));

Deno.test("members receive their workspace's metric rows; others receive none of them", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, webhookUrl } = await newWorkspace(sql, api);
    const member = await newUser(sql, workspaceId);
    const outsider = await newUser(sql);
    const memberClient = await frontendClient(api, () => member.token);
    const outsiderClient = await frontendClient(api, () => outsider.token);
    const memberChanges = new Inbox<Change>();
    const outsiderChanges = new Inbox<Change>();
    const filteredChanges = new Inbox<Change>();
    const listen = (client: typeof memberClient, inbox: Inbox<Change>, filter?: string) =>
      client.channel(`metrics-${crypto.randomUUID()}`).on(
        "postgres_changes",
        { event: "*", schema: "public", table: "workspace_daily_metrics", filter },
        (change) => inbox.push(change as unknown as Change),
      );
    const systems = await Promise.all([
      subscribeToChanges(listen(memberClient, memberChanges)),
      subscribeToChanges(listen(outsiderClient, outsiderChanges)),
      subscribeToChanges(listen(memberClient, filteredChanges, `workspace_id=eq.${workspaceId}`)),
    ]);
    for (const system of systems) {
      assert.deepEqual(
        { extension: system.extension, status: system.status, message: system.message },
        { extension: "postgres_changes", status: "ok", message: "Subscribed to PostgreSQL" },
      );
    }

    await webhook(webhookUrl);
    const [inserted] = await memberChanges.until("the INSERT", (items) => items.length >= 1);
    assert.equal(inserted.eventType, "INSERT");
    assert.equal(inserted.schema, "public");
    assert.equal(inserted.table, "workspace_daily_metrics");
    assert.equal(inserted.new.workspace_id, workspaceId);
    assert.equal(inserted.new.emails_sent, 1);
    assert.match(String(inserted.new.day), /^\d{4}-\d\d-\d\d$/);
    assert.match(inserted.commit_timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(inserted.errors, null);

    await webhook(webhookUrl);
    const updated = (await memberChanges.until("the UPDATE", (items) => items.length >= 2))[1];
    assert.equal(updated.eventType, "UPDATE");
    assert.equal(updated.new.emails_sent, 2);
    // Without REPLICA IDENTITY FULL the old record is the primary key.
    assert.deepEqual(updated.old, { workspace_id: workspaceId, day: inserted.new.day });
    await filteredChanges.until("the filtered changes", (items) => items.length >= 2);

    // The row is deleted: RLS cannot be checked on a deleted row, so everyone subscribed gets it,
    // with only the primary key.
    await sql`delete from public.workspace_daily_metrics where workspace_id = ${workspaceId}`;
    const deleted = (await memberChanges.until("the DELETE", (items) => items.length >= 3))[2];
    assert.equal(deleted.eventType, "DELETE");
    assert.deepEqual(deleted.old, { workspace_id: workspaceId, day: inserted.new.day });
    const [outsiderDelete] = await outsiderChanges.until(
      "the DELETE",
      (items) => items.length >= 1,
    );
    assert.equal(outsiderDelete.eventType, "DELETE");
    assert.deepEqual(Object.keys(outsiderDelete.old).sort(), ["day", "workspace_id"]);
    assert.equal(outsiderChanges.items.length, 1, "the outsider saw no INSERT or UPDATE");
    assert.equal(filteredChanges.items.length, 3);

    await closeClient(memberClient);
    await closeClient(outsiderClient);
  } finally {
    await api.close();
  }
});

Deno.test("a filter excludes other workspaces' rows; bad subscriptions get Realtime's errors", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, webhookUrl } = await newWorkspace(sql, api);
    const other = await newWorkspace(sql, api);
    const member = await newUser(sql, workspaceId);
    await sql`insert into public.workspace_members (user_id, workspace_id)
              values (${member.userId}, ${other.workspaceId})`;
    const client = await frontendClient(api, () => member.token);
    const changes = new Inbox<Change>();
    const channel = client.channel(`metrics-${crypto.randomUUID()}`).on(
      "postgres_changes",
      {
        event: "INSERT",
        schema: "public",
        table: "workspace_daily_metrics",
        filter: `workspace_id=eq.${other.workspaceId}`,
      },
      (change) => changes.push(change as unknown as Change),
    );
    assert.equal((await subscribeToChanges(channel)).status, "ok");
    await webhook(webhookUrl);
    await webhook(other.webhookUrl);
    const [change] = await changes.until("the other workspace's row", (items) => items.length > 0);
    assert.equal(change.new.workspace_id, other.workspaceId);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(changes.items.length, 1);

    const unpublished = await subscribeToChanges(
      client.channel(`x-${crypto.randomUUID()}`).on(
        "postgres_changes",
        { event: "*", schema: "public", table: "workspaces" },
        () => {},
      ),
    );
    assert.equal(unpublished.status, "error");
    assert.equal(
      unpublished.message,
      "Unable to subscribe to changes with given parameters. Please check Realtime is enabled " +
        "for the given connect parameters: [event: *, schema: public, table: workspaces, " +
        "filters: [], select: nil]",
    );
    const badColumn = await subscribeToChanges(
      client.channel(`x-${crypto.randomUUID()}`).on(
        "postgres_changes",
        { event: "*", schema: "public", table: "workspace_daily_metrics", filter: "nope=eq.1" },
        () => {},
      ),
    );
    assert.equal(badColumn.status, "error");
    assert.match(
      badColumn.message,
      /Exception: ERROR P0001 \(raise_exception\) invalid column for filter nope$/,
    );
    const badFilter = await subscribeToChanges(
      client.channel(`x-${crypto.randomUUID()}`).on(
        "postgres_changes",
        { event: "*", schema: "public", table: "workspace_daily_metrics", filter: "day=foo.1" },
        () => {},
      ),
    );
    assert.equal(badFilter.message, 'Error parsing `filter` params: ["foo","1"]');
    await closeClient(client);
  } finally {
    await api.close();
  }
});
