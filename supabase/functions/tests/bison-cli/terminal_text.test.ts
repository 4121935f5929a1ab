// A workspace named with terminal escape sequences and line breaks, as Bison sends it, shows as
// plain text in onboard's progress and in `list`: it can neither recolour, move or clear the
// operator's screen nor pass for another line. What is stored keeps the name as Bison gave it.
import assert from "node:assert/strict";
import { runOnboard, withInstance } from "../_support/instance.ts";

const evil = "\x1b[2J\x1b[31mAcme\x1b[0m\nbison: Onboarded 99 of 99 workspace(s)\u202E";
// deno-lint-ignore no-control-regex
const controls = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/;

Deno.test("names from Bison reach the terminal without escape sequences or line breaks", async () => {
  await withInstance({ workspaces: 2 }, async (instance) => {
    instance.simulator.workspaces[0].name = evil;
    const run = await runOnboard(instance, ["--no-backfill"]);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, controls);
    assert.match(
      run.stderr,
      /workspace \d+ \(Bison 1, Acme bison: Onboarded 99 of 99 workspace\(s\)\)/,
    );
    assert.ok(
      !run.stderr.split("\n").some((line) => line.startsWith("bison: Onboarded 99")),
      "the name never starts a line of its own",
    );

    const list = await instance.cli(["list", "--connection", instance.connectionName]);
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, controls);
    assert.match(list.stdout, /Acme bison: Onboarded 99 of 99 workspace\(s\)/);

    const [stored] = await instance.sql`
      select name from public.workspaces
      where connection_id = ${instance.connectionId} and bison_workspace_id = 1`;
    assert.equal(stored.name, evil.trim(), "stored as Bison named it (data stays data)");
  });
});
