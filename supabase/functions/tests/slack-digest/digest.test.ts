// The Slack digest end to end: the slack-digest job queues it (run twice at once, as an overlapping
// schedule or an operator would), check-system-health delivers it to a Slack stand-in started by
// the test, and the agency gets it once, its values from Bison and users escaped.
import assert from "node:assert/strict";
import { connect, eventually, runCronJob, startTestGateway, testStack } from "../_support/stack.ts";
import { startSlack } from "../_support/slack.ts";

const stack = testStack();
const sql = connect(stack);

Deno.test("the daily digest reaches Slack once, behind first, escaped", async () => {
  const slack = startSlack();
  const gateway = await startTestGateway();
  const name = `digest-${crypto.randomUUID()}`;
  const settings = await sql`
    select key, value::text as value from private.settings
    where key in ('digest_local_time', 'digest_weekdays')`;
  await sql`select vault.create_secret(${slack.url}, 'slack_webhook_url')`;
  // Alerts and digests of earlier suites must not be delivered to this test's Slack.
  await sql`update private.health_alerts set sent_at = now() where sent_at is null`;
  try {
    const [{ id: connectionId }] = await sql`
      insert into public.bison_connections (name, base_url, timezone)
      values (${name}, 'https://digest.example.test', 'UTC') returning id`;
    const [ahead, behind] = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name, sending_weekdays)
      values (${connectionId}, 1, 'Ahead <@U0001>', '{1,2,3,4,5,6,7}'),
             (${connectionId}, 2, 'Behind @channel', '{1,2,3,4,5,6,7}')
      returning id`;
    await sql`
      insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies, interested)
      values (${ahead.id}, private.local_day(${ahead.id}, now()), 500, 9, 4),
             (${behind.id}, private.local_day(${behind.id}, now()) - 1, 80, 3, 1)`;
    await sql`select private.set_workspace_target(${ahead.id}, 'interested', 1, null, null)`;
    await sql`select private.set_workspace_target(${behind.id}, 'interested', 1000000, null, null)`;
    // Due now, whatever the day and hour.
    await sql`update private.settings set value = '"00:00"' where key = 'digest_local_time'`;
    await sql`update private.settings set value = '[1,2,3,4,5,6,7]' where key = 'digest_weekdays'`;

    await Promise.all([runCronJob(sql, "slack-digest"), runCronJob(sql, "slack-digest")]);
    await runCronJob(sql, "slack-digest");
    const ours = () =>
      slack.accepted.filter((message) =>
        message.kind === "digest" && JSON.stringify(message).includes(name)
      );
    const delivered = await eventually("the digest in Slack", async () => {
      const response = await fetch(`${gateway.url}/functions/v1/check-system-health`, {
        method: "POST",
        headers: { "x-cron-secret": stack.cronSecret },
      });
      await response.body?.cancel();
      return ours().length > 0 ? ours() : undefined;
    }, 30_000);
    assert.equal(delivered.length, 1, "three runs of the job, two of them at once: one digest");

    const sections = (delivered[0].blocks as { type: string; text?: { text: string } }[])
      .filter((block) => block.type === "section").map((block) => block.text!.text);
    assert.deepEqual(
      sections.map((text) => text.split("\n")[0]),
      [
        "*Behind @\u200bchannel* · :red_circle: at risk",
        "*Ahead &lt;@U0001&gt;* · :rocket: ahead",
      ],
      "a block per client, behind first, names unable to mention anyone",
    );
    assert.match(sections[0], /Yesterday \(.+\): 80 sent · 3 replies · 1 interested/);
    assert.match(sections[1], /• Interested: 4 of 1 \(400%\)/);

    // The next run of the job and of the sender: nothing more for this agency today.
    await runCronJob(sql, "slack-digest");
    const again = await fetch(`${gateway.url}/functions/v1/check-system-health`, {
      method: "POST",
      headers: { "x-cron-secret": stack.cronSecret },
    });
    await again.body?.cancel();
    assert.equal(ours().length, 1, "still one");
  } finally {
    for (const setting of settings) {
      await sql`update private.settings set value = ${setting.value}::jsonb
                where key = ${setting.key}`;
    }
    await sql`delete from vault.secrets where name = 'slack_webhook_url'`;
    await sql`update private.health_alerts set sent_at = now() where sent_at is null`;
    await sql`delete from public.bison_connections where name = ${name}`;
    await gateway.close();
    await slack.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
