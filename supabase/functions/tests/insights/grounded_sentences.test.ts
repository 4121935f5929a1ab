// The rules' sentences on facts the database computed, through the function: each one grounded
// in the facts it cites. Reproduction (the demo): with 193 events since local midnight, an
// insight read "0 emails sent in the last 14 days" (its period silently ended yesterday), and
// another advised to "rest or replace the burnt ones" while its own fact was "1 of 40 are
// disconnected".
import assert from "node:assert/strict";
import { connect, startTestGateway, testStack } from "../_support/stack.ts";
import { ungrounded } from "../../insights/grounding.ts";
import type { Fact, Insight } from "../../insights/types.ts";

const sql = connect();
const stack = testStack();

Deno.test("sends of today count, the period says so, and advice matches the mailboxes", async () => {
  const name = `grounded-${crypto.randomUUID()}`;
  const [connection] = await sql`
    insert into public.bison_connections (name, base_url, timezone)
    values (${name}, 'https://send.example.test', 'America/Chicago') returning id`;
  const gateway = await startTestGateway();
  try {
    const [workspace] = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connection.id}, 1, 'Demo Co') returning id::int`;
    // 193 emails since local midnight, nothing before; 40 healthy mailboxes, one disconnected.
    await sql`
      insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies)
      values (${workspace.id}, private.local_day(${workspace.id}::bigint, now()), 193, 2)`;
    await sql`
      insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, status,
        provider, emails_sent, unique_replies)
      select ${connection.id}, n, ${workspace.id},
             case when n = 40 then 'disconnected' else 'connected' end, 'Google', 300, 12
      from generate_series(1, 40) n`;

    const response = await fetch(`${gateway.url}/functions/v1/insights/generate`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.anonKey}`,
        "x-cron-secret": stack.cronSecret,
        "content-type": "application/json",
      },
      body: JSON.stringify({ workspace_id: workspace.id }),
    });
    const stored = await response.json();
    assert.equal(response.status, 201, JSON.stringify(stored));
    const items = stored.items as Insight[];
    const facts = stored.facts as Fact[];
    for (const item of items) assert.deepEqual(ungrounded(item, facts), [], item.value);

    const period = facts.find((fact) => fact.id === "period")!.numbers;
    assert.equal(period.includes_today, true);
    const volume = items.find((item) => item.metric === "emails_sent")!;
    assert.equal(
      volume.value,
      `193 emails sent in the 14 days from ${period.start} to ${period.last_day} (today so far ` +
        "included), none in the 14 days before.",
    );
    const mailboxes = items.find((item) => item.metric === "mailboxes")!;
    assert.equal(mailboxes.value, "1 of 40 mailboxes are disconnected: reconnect them.");
  } finally {
    await sql`delete from public.bison_connections where id = ${connection.id}`;
    await gateway.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
