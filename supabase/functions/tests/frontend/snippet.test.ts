// docs/frontend.md's complete example runs as printed: the block is taken from the document,
// type-checked, and run as its own program against a fresh stack API, with a member of a
// workspace that receives a webhook once the program says it has subscribed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot } from "../../../../scripts/local/config.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";
import { connect, startTestApi, testStack } from "../_support/stack.ts";
import { flushBroadcasts, newWorkspace } from "../_support/realtime.ts";
import { createPasswordUser } from "../_support/members.ts";

const stack = testStack();
const sql = connect(stack);

/** The first TypeScript block under a heading of a document. */
async function exampleIn(file: string, heading: string): Promise<string> {
  const doc = await Deno.readTextFile(join(repoRoot, file));
  const block = doc.slice(doc.indexOf(heading)).match(/```ts\n([\s\S]*?)```/);
  assert.ok(doc.includes(heading) && block, `${file} has a ts block under ${heading}`);
  return block[1];
}

const documentedExample = () => exampleIn("docs/frontend.md", "## A complete example");

Deno.test("the README shows the same complete example", async () => {
  assert.equal(await exampleIn("README.md", "## Building a frontend"), await documentedExample());
});

Deno.test("docs/frontend.md's complete example signs in, reads, subscribes and unsubscribes", async () => {
  const directory = await Deno.makeTempDir({ prefix: "frontend-example-" });
  const program = join(directory, "dashboard.ts");
  await Deno.writeTextFile(program, await documentedExample());
  const config = join(repoRoot, "deno.json");
  const checked = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--config", config, program],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(checked.success, new TextDecoder().decode(checked.stderr));

  const api = await startTestApi();
  try {
    const { workspaceId, webhookUrl } = await newWorkspace(sql, api);
    const post = async (type: string, id: number) => {
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(bisonEvent(type, { id })),
      });
      assert.equal(response.status, 200, await response.text());
    };
    const firstId = 9_000_000 + Math.floor(Math.random() * 1_000_000) * 10;
    await post("EMAIL_SENT", firstId);
    const { email, password, id } = await createPasswordUser(api.url, "example");
    await sql`insert into public.workspace_members (user_id, workspace_id)
              values (${id}, ${workspaceId})`;

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--allow-env", "--config", config, program],
      env: {
        SUPABASE_URL: api.url,
        SUPABASE_ANON_KEY: stack.anonKey,
        DASHBOARD_EMAIL: email,
        DASHBOARD_PASSWORD: password,
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const killer = setTimeout(() => child.kill(), 60_000);
    const stderr = new Response(child.stderr).text();
    const lines: string[] = [];
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        lines.push(line);
        if (line === `subscribed to workspace:${workspaceId}:metrics`) {
          await post("EMAIL_SENT", firstId + 1);
          // Within a second of the first message, the change goes out with the flush.
          await flushBroadcasts(api);
        }
      }
    }
    const status = await child.status;
    clearTimeout(killer);
    assert.equal(status.code, 0, `${lines.join("\n")}\n${await stderr}`);
    const [{ day, name }] = await sql`
      select m.day::text, w.name from public.workspace_daily_metrics m
      join public.workspaces w on w.id = m.workspace_id where w.id = ${workspaceId}`;
    assert.deepEqual(lines, [
      `${name} today (UTC): 1 sent, 0 replies, reply rate 0 %`,
      "30 days to chart, 0 recent replies and interested leads",
      `subscribed to workspace:${workspaceId}:metrics`,
      `metrics_updated: ${day} 2 sent, 0 replies`,
    ]);
  } finally {
    await api.close();
    await Deno.remove(directory, { recursive: true });
  }
});
