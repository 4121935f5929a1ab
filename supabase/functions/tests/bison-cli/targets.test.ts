// `bison target`: an operator sets a workspace's monthly targets and sending days through the same
// database functions an agency admin's dashboard calls, and lists them with their pacing. Bad
// input changes nothing (exit 2).
import assert from "node:assert/strict";
import { connect, runBisonCli } from "../_support/stack.ts";

const sql = connect();

Deno.test("bison target set, days and list", async () => {
  const name = `targets-${crypto.randomUUID()}`;
  const [{ id: connectionId }] = await sql`
    insert into public.bison_connections (name, base_url, timezone)
    values (${name}, 'https://targets.example.test', 'UTC') returning id`;
  const [{ id }] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    values (${connectionId}, 1, 'Client') returning id::int`;
  const workspace = String(id);
  const thisMonth = new Date().toISOString().slice(0, 7);
  try {
    const set = await runBisonCli(
      ["target", "set", "--workspace", workspace, "--metric", "interested", "--target", "40"],
    );
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(set.result, {
      workspace_id: id,
      month: `${thisMonth}-01`,
      metric: "interested",
      target: 40,
    });
    const later = await runBisonCli([
      "target",
      "set",
      "--workspace",
      workspace,
      "--metric",
      "emails_sent",
      "--target",
      "20000",
      "--month",
      "2099-01",
    ]);
    assert.equal(later.code, 0, later.stderr);

    for (
      const [args, expected] of [
        [["--metric", "meetings", "--target", "5"], /unknown metric meetings/],
        [["--metric", "replies", "--target", "0"], /a target is a number above 0/],
        [["--metric", "replies", "--target", "ten"], /--target must be a number/],
        [["--metric", "replies", "--target", "5", "--month", "2026-13"], /--month must look like/],
      ] as const
    ) {
      const refused = await runBisonCli(["target", "set", "--workspace", workspace, ...args]);
      assert.equal(refused.code, 2, `${args.join(" ")}: ${refused.stderr}`);
      assert.match(refused.stderr, expected);
    }
    const [{ n }] = await sql`
      select count(*)::int as n from public.workspace_targets where workspace_id = ${id}`;
    assert.equal(n, 2, "the refused ones wrote nothing");

    const days = await runBisonCli(
      ["target", "days", "--workspace", workspace, "--days", "sun,mon,tue,wed,thu"],
    );
    assert.equal(days.code, 0, days.stderr);
    assert.deepEqual(days.result, {
      workspace_id: id,
      sending_days: ["mon", "tue", "wed", "thu", "sun"],
    });
    const badDays = await runBisonCli([
      "target",
      "days",
      "--workspace",
      workspace,
      "--days",
      "funday",
    ]);
    assert.equal(badDays.code, 2);
    const [{ sending_weekdays }] = await sql`
      select sending_weekdays from public.workspaces where id = ${id}`;
    assert.deepEqual(sending_weekdays, [1, 2, 3, 4, 7]);

    const list = await runBisonCli(["target", "list", "--workspace", workspace, "--json"]);
    assert.equal(list.code, 0, list.stderr);
    const [row] = list.result as Record<string, unknown>[];
    assert.equal((list.result as unknown[]).length, 1, "this month's targets only");
    assert.equal(row.metric, "interested");
    assert.equal(row.target, 40);
    assert.equal(row.actual_mtd, 0);
    assert.ok(["on_track", "at_risk"].includes(String(row.pacing_status)));
    const future = await runBisonCli(
      ["target", "list", "--workspace", workspace, "--month", "2099-01", "--json"],
    );
    assert.deepEqual(
      (future.result as Record<string, unknown>[]).map((
        r,
      ) => [r.metric, r.target, r.pacing_status]),
      [["emails_sent", 20000, null]],
      "another month's targets, without pacing",
    );
  } finally {
    await sql`delete from public.bison_connections where id = ${connectionId}`;
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
