// Targets and milestones through what a dashboard uses (supabase-js against the stack's Data API
// and Realtime), and milestones recorded exactly once when two sessions cross a threshold at the
// same moment: the evaluation runs at commit, one transaction at a time per workspace and month.
import assert from "node:assert/strict";
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

type Message = { event: string; payload: Record<string, unknown> };

Deno.test("an agency admin sets a target, a member may not, and members receive its milestones", async () => {
  const api = await startTestApi();
  try {
    const { workspaceId, webhookUrl, connectionId } = await newWorkspace(sql, api);
    const member = await newUser(sql, workspaceId);
    const outsider = await newUser(sql);
    const admin = await newUser(sql);
    await sql`insert into public.agency_admins (user_id) values (${admin.userId})`;

    const memberClient = await frontendClient(api, () => member.token);
    const refused = await memberClient.rpc("set_workspace_target", {
      workspace_id: workspaceId,
      metric: "emails_sent",
      target: 2,
    });
    assert.equal(refused.error?.code, "42501", "a member cannot set a target");

    const adminClient = await frontendClient(api, () => admin.token);
    const set = await adminClient.rpc("set_workspace_target", {
      workspace_id: workspaceId,
      metric: "emails_sent",
      target: 2,
    });
    assert.equal(set.error, null);
    assert.equal(set.data.workspace_id, workspaceId);
    assert.equal(set.data.set_by, admin.userId);

    const inbox = new Inbox<Message>();
    const channel = memberClient.channel(`workspace:${workspaceId}:milestones`, {
      config: { private: true },
    }).on("broadcast", { event: "milestone" }, inbox.push);
    assert.equal((await subscribe(channel)).status, "SUBSCRIBED");
    const outsiderClient = await frontendClient(api, () => outsider.token);
    const outsiderChannel = outsiderClient.channel(`workspace:${workspaceId}:milestones`, {
      config: { private: true },
    });
    assert.equal((await subscribe(outsiderChannel)).status, "CHANNEL_ERROR");

    const response = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(bisonEvent("EMAIL_SENT", { id: 7_000_000 + workspaceId })),
    });
    assert.equal(response.status, 200, await response.text());

    const messages = await inbox.until("two milestones", (items) => items.length >= 2);
    const [month] = new Date().toISOString().split("T");
    assert.deepEqual(
      // realtime.send adds the message id to the payload.
      messages.map(({ payload }) => ({ ...payload, id: undefined, reached_at: undefined })),
      [25, 50].map((threshold) => ({
        workspace_id: workspaceId,
        metric: "emails_sent",
        target: 2,
        threshold,
        value: 1,
        month: `${month.slice(0, 8)}01`,
        id: undefined,
        reached_at: undefined,
      })),
      "one event crossing 25 % and 50 % of the target: both, in order",
    );

    const pacing = await memberClient.from("workspace_pacing").select("metric, actual_mtd, target")
      .eq("workspace_id", workspaceId);
    assert.deepEqual(pacing.data, [{ metric: "emails_sent", actual_mtd: 1, target: 2 }]);
    await closeClient(memberClient);
    await closeClient(outsiderClient);
    await closeClient(adminClient);
    await sql`delete from public.bison_connections where id = ${connectionId}`;
  } finally {
    await api.close();
  }
});

/** A workspace whose local day is not the 1st (two days of the month to add to), with a target. */
async function workspaceWithTarget(target: number, sentToday: number) {
  const name = `milestones-${crypto.randomUUID()}`;
  const [{ zone }] = await sql`
    select name as zone from (values ('UTC'), ('Etc/GMT-14'), ('Etc/GMT+12')) z(name)
    where extract(day from now() at time zone name) >= 2 limit 1`;
  const [{ id: connectionId }] = await sql`
    insert into public.bison_connections (name, base_url, timezone)
    values (${name}, 'https://milestones.example.test', ${zone}) returning id`;
  const [{ id }] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    values (${connectionId}, 1, ${name}) returning id`;
  const workspaceId = Number(id);
  await sql`select private.set_workspace_target(${workspaceId}, 'emails_sent', ${target}, null, null)`;
  await sql`
    insert into public.workspace_daily_metrics (workspace_id, day, emails_sent)
    select ${workspaceId}, d.day, d.sent
    from (select private.local_day(${workspaceId}, now()) as today) t
    cross join lateral (values (t.today, ${sentToday}), (t.today - 1, 0)) d(day, sent)`;
  return { workspaceId, connectionId };
}

/** Two sessions each add one email to a different day of the month and commit together. */
async function sendTogether(workspaceId: number) {
  let updated = 0;
  let release!: () => void;
  const bothUpdated = new Promise<void>((resolve) => (release = resolve));
  const addOne = (daysAgo: number) =>
    sql.begin(async (tx) => {
      await tx`
        update public.workspace_daily_metrics set emails_sent = emails_sent + 1
        where workspace_id = ${workspaceId}
          and day = private.local_day(${workspaceId}, now()) - ${daysAgo}::integer`;
      if (++updated === 2) release();
      await bothUpdated; // commit (and evaluate milestones) only once both have written
    });
  await Promise.all([addOne(0), addOne(1)]);
}

async function thresholdsOf(workspaceId: number) {
  const rows = await sql`
    select threshold_pct::int as threshold from public.workspace_milestones
    where workspace_id = ${workspaceId} order by threshold_pct`;
  const [{ broadcasts }] = await sql`
    select count(*)::int as broadcasts from realtime.messages
    where topic = ${`workspace:${workspaceId}:milestones`}`;
  return { thresholds: rows.map((row) => row.threshold), broadcasts };
}

Deno.test("two sessions that cross a threshold only together record it, once", async () => {
  for (let round = 0; round < 5; round++) {
    // 3 of 10 sent: 25 % reached. Each session alone would see 4 (40 %); together 5 (50 %).
    const { workspaceId, connectionId } = await workspaceWithTarget(10, 3);
    assert.deepEqual(await thresholdsOf(workspaceId), { thresholds: [25], broadcasts: 1 });
    await sendTogether(workspaceId);
    assert.deepEqual(
      await thresholdsOf(workspaceId),
      { thresholds: [25, 50], broadcasts: 2 },
      `round ${round}: the second to commit sees the first's email and records 50 %`,
    );
    await sql`delete from public.bison_connections where id = ${connectionId}`;
  }
});

Deno.test("two sessions that each cross a threshold record it once", async () => {
  for (let round = 0; round < 5; round++) {
    // 4 of 10 sent. Each session alone reaches 5 (50 %); together 6.
    const { workspaceId, connectionId } = await workspaceWithTarget(10, 4);
    await sendTogether(workspaceId);
    assert.deepEqual(
      await thresholdsOf(workspaceId),
      { thresholds: [25, 50], broadcasts: 2 },
      `round ${round}: 50 % recorded and broadcast once`,
    );
    await sql`delete from public.bison_connections where id = ${connectionId}`;
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
