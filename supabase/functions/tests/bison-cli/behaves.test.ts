// The admin CLI behaves like a good CLI: usage on any wrong argument (never a raw TypeError), exit
// code 2 for usage errors, 1 for failures, 0 for success, --json for listings, and no key in any
// output. Plus the checks connect makes: addresses, names, the demo's removal.
import assert from "node:assert/strict";
import { connect, runBisonCli } from "../_support/stack.ts";
import { onboardInstance, superAdminKey, withInstance } from "../_support/instance.ts";
import { bisonEvent } from "../../../../scripts/simulator/bison-events.ts";

const sql = connect();

Deno.test("wrong arguments print usage and exit 2, whatever the command", async () => {
  const cases: [string[], RegExp][] = [
    [[], /usage: npm run bison -- <command>/],
    [["frobnicate"], /unknown command: frobnicate/],
    [["connect", "--nmae", "x"], /Unknown option '--nmae'/],
    [["connect", "--name"], /Option '--name <value>' argument missing/],
    [["list", "extra"], /Unexpected argument 'extra'/],
    [["onboard", "--connection", "x"], /no connection with id or name "x"/],
    [["poll", "--workspace", "abc"], /--workspace must be a whole positive number/],
    [["reprocess", "--event-id", "999999999"], /no webhook event with id 999999999/],
    [["webhooks"], /missing action/],
    [["webhooks", "repair"], /unknown webhooks action: repair/],
    [["member", "add", "--email", "not-an-email", "--workspace", "1"], /is not an email/],
    [["member", "promote"], /unknown member action: promote/],
    [["review", "accept"], /--workspace is required/],
    [["disconnect", "--connection", "x", "--confirm", "x"], /no connection/],
  ];
  for (const [args, expected] of cases) {
    const run = await runBisonCli(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, expected, args.join(" "));
    assert.doesNotMatch(run.stderr, /TypeError|at file:|\.ts:\d+/, "no stack trace");
    assert.equal(run.stdout, "", "nothing on stdout");
  }
  const help = await runBisonCli(["onboard", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: bison onboard --connection/);
  assert.match(help.stdout, /\n {21}\[--earlier-days/, "options continue under the first");
  const main = await runBisonCli(["--help"]);
  assert.equal(main.code, 0);
  const forms = main.stdout.split("\n").filter((line) => /^\s+bison /.test(line));
  assert.ok(forms.length >= 18, main.stdout);
  for (const line of forms) assert.match(line, /^ {2}bison /, "every form starts in column 2");
});

Deno.test("connect refuses private addresses without the opt-in, and stores the opt-in", async () => {
  const name = `private-${crypto.randomUUID()}`;
  const connectTo = (url: string, ...extra: string[]) =>
    runBisonCli(["connect", "--name", name, "--base-url", url, ...extra]);
  try {
    for (
      const url of [
        "http://127.0.0.1:54329",
        "http://localhost:8080",
        "http://169.254.169.254",
        "http://[::1]:9000",
        "http://10.0.0.8",
      ]
    ) {
      const refused = await connectTo(url);
      assert.equal(refused.code, 2, url);
      assert.match(refused.stderr, /loopback, link-local or private address/, url);
      const offline = await connectTo(url, "--no-check");
      assert.equal(offline.code, 2, `${url}: --no-check does not lift the address rule`);
    }
    const allowed = await connectTo("http://127.0.0.1:9", "--allow-private-address", "--no-check");
    assert.equal(allowed.code, 0, allowed.stderr);
    const [row] = await sql`
      select allow_private_address from public.bison_connections where name = ${name}`;
    assert.equal(row.allow_private_address, true);
    const again = await connectTo("http://127.0.0.1:9", "--allow-private-address", "--no-check");
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
  } finally {
    await sql`select private.purge_connection(id) from public.bison_connections where name = ${name}`;
  }
});

Deno.test("the poller refuses an instance on a private address unless its connection opted in", async () => {
  await withInstance({ workspaces: 1 }, async (instance) => {
    await onboardInstance(instance, ["--no-backfill"]);
    const workspace = String(await instance.workspaceId(1));
    // Someone changes the connection behind the CLI's back: the opt-in is gone.
    await instance.sql`
      update public.bison_connections set allow_private_address = false
      where id = ${instance.connectionId}`;
    const before = instance.simulator.requests.length;
    const refused = await instance.cli(["poll", "--workspace", workspace]);
    assert.equal(refused.code, 1, refused.stderr);
    const failed = (refused.result as { failed: { error: string }[] }).failed;
    assert.match(failed[0].error, /127\.0\.0\.1, a loopback, link-local or private address/);
    assert.equal(instance.simulator.requests.length, before, "nothing reached the instance");

    await instance.sql`
      update public.bison_connections set allow_private_address = true
      where id = ${instance.connectionId}`;
    const polled = await instance.cli(["poll", "--workspace", workspace]);
    assert.equal(polled.code, 0, polled.stderr);
    assert.equal((polled.result as { workspaces: number }).workspaces, 1);
  });
});

Deno.test("poll says when nothing was due and when the next poll is; --force polls now", async () => {
  await withInstance({ workspaces: 2 }, async (instance) => {
    await onboardInstance(instance, ["--no-backfill"]);
    const first = await instance.cli(["poll", "--force"]);
    assert.equal(first.code, 0, first.stderr);
    assert.ok((first.result as { workspaces: number }).workspaces >= 2);
    const idle = await instance.cli(["poll"]);
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stderr, /Nothing was due\. The next poll is due at \S+Z \(workspace \d+\)/);
    const result = idle.result as { workspaces: number; next_poll_at: string };
    assert.equal(result.workspaces, 0);
    assert.ok(Date.parse(result.next_poll_at) > Date.now());
    const one = await instance.cli(["poll", "--workspace", String(await instance.workspaceId(2))]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal((one.result as { workspaces: number }).workspaces, 1, "one forced workspace");
    const unknown = await instance.cli(["poll", "--workspace", "999999"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no workspace with id 999999/);
  });
});

Deno.test("list shows each workspace's key, webhook, last sync and last event; --json too", async () => {
  await withInstance({ workspaces: 2 }, async (instance) => {
    await onboardInstance(instance, ["--no-backfill"]);
    const table = await instance.cli(["list", "--connection", instance.connectionName]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /connected/);
    assert.match(table.stdout, /Client 1\s+ok\s+workspace\s+verified\s+never\s+never/);
    const listed = await instance.cli(["list", "--connection", instance.connectionName, "--json"]);
    const [connection] = JSON.parse(listed.stdout) as {
      workspaces: { key: string; webhook: string }[];
    }[];
    assert.deepEqual(connection.workspaces.map((w) => [w.key, w.webhook]), [
      ["workspace", "verified"],
      ["workspace", "verified"],
    ]);
    for (const run of [table, listed]) {
      assert.ok(!run.stdout.includes(superAdminKey));
      const keys = await instance.sql`
        select api_key from private.workspace_api_access(null)
        where connection_id = ${instance.connectionId}`;
      for (const { api_key } of keys) assert.ok(!run.stdout.includes(api_key));
    }
  });
});

Deno.test("a real connection removes the demo connection with its data, and says so", async () => {
  const demo = await runBisonCli([
    "connect",
    "--demo",
    "--name",
    "demo",
    "--base-url",
    "http://127.0.0.1:9",
    "--allow-private-address",
    "--no-check",
  ]);
  assert.equal(demo.code, 0, demo.stderr);
  const [{ id }] = await sql`select id from public.bison_connections where name = 'demo'`;
  await sql`insert into public.workspaces (connection_id, bison_workspace_id) values (${id}, 1)`;
  const taken = await runBisonCli([
    "connect",
    "--name",
    "demo",
    "--base-url",
    "http://127.0.0.1:9",
    "--no-check",
  ]);
  assert.equal(taken.code, 2, "the demo's name is kept for npm start");
  const name = `real-${crypto.randomUUID()}`;
  try {
    const real = await runBisonCli([
      "connect",
      "--name",
      name,
      "--base-url",
      "http://127.0.0.1:9",
      "--allow-private-address",
      "--no-check",
    ]);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stderr, /Removed the demo connection and its data \(1 workspaces/);
    assert.equal((real.result as { demo_removed: boolean }).demo_removed, true);
    const [{ left }] = await sql`
      select count(*)::int as left from public.workspaces where connection_id = ${id}`;
    assert.equal(left, 0);
  } finally {
    await sql`select private.purge_connection(id) from public.bison_connections
              where name in (${name}, 'demo')`;
  }
});

Deno.test("add-workspace checks the key against the instance and says what is wrong", async () => {
  await withInstance({ workspaces: 3 }, async (instance) => {
    const add = (...args: string[]) =>
      instance.cli(["add-workspace", "--connection", instance.connectionName, ...args]);
    const key2 = instance.simulator.workspaces[1].apiKey;
    const wrong = await add("--workspace-id", "3", "--api-key", key2);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--api-key belongs to workspace 2 \(Client 2\), not 3/);
    assert.ok(!wrong.stderr.includes(key2), "the key is never echoed");
    const refused = await add("--workspace-id", "3", "--api-key", "refused-key-1234");
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refused the key \(HTTP 401\)/);
    const unseen = await add("--workspace-id", "9", "--api-key", superAdminKey, "--super-admin");
    assert.equal(unseen.code, 2);
    assert.match(unseen.stderr, /does not see that workspace \(it sees 1, 2, 3\)/);
    const [{ count }] = await instance.sql`
      select count(*)::int from public.workspaces where connection_id = ${instance.connectionId}`;
    assert.equal(count, 0, "nothing stored");
    const right = await add("--workspace-id", "2", "--api-key", key2);
    assert.equal(right.code, 0, right.stderr);
    const [workspace] = await instance.sql`
      select name from public.workspaces where connection_id = ${instance.connectionId}`;
    assert.equal(workspace.name, "Client 2", "named as Bison names it");
  });
});

globalThis.addEventListener("unload", () => {
  sql.end();
});

Deno.test("a workspace flagged for review is accepted or merged from the CLI", async () => {
  await withInstance({ workspaces: 1 }, async (instance) => {
    await onboardInstance(instance, ["--no-backfill"]);
    const [{ url }] = await instance.sql`
      select private.connection_webhook_url(${instance.connectionId}) as url`;
    for (const [id, workspace] of [[8_100_001, 41], [8_100_002, 42]]) {
      const response = await fetch(url, {
        method: "POST",
        body: JSON.stringify(bisonEvent("EMAIL_SENT", { id, workspaceId: workspace })),
      });
      await response.body?.cancel();
    }
    const flagged41 = await instance.workspaceId(41);
    const flagged42 = await instance.workspaceId(42);
    const listed = await instance.cli(["list", "--connection", instance.connectionName]);
    assert.match(listed.stdout, /needs review/);

    const accepted = await instance.cli(["review", "accept", "--workspace", String(flagged41)]);
    assert.equal(accepted.code, 0, accepted.stderr);
    const twice = await instance.cli(["review", "accept", "--workspace", String(flagged41)]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /not flagged for review/);

    const into = await instance.workspaceId(1);
    const merged = await instance.cli([
      "review",
      "merge",
      "--workspace",
      String(flagged42),
      "--into",
      String(into),
    ]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.deepEqual(merged.result, {
      workspace_id: into,
      bison_workspace_id: 42,
      previous_bison_workspace_id: 1,
      events_applied: { processed: 1 },
    });
  });
});
