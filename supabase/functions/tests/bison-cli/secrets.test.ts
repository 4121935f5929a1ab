// Keys and passwords stay off the command line (where ps and shell history show them): each
// secret option also reads `-` from stdin, or its environment variable when left out; given as an
// argument it still works, with a warning. The secret is never echoed.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { superAdminKey, withInstance } from "../_support/instance.ts";
import { testStack } from "../_support/stack.ts";
import { withPeople } from "../_support/members.ts";

const warning = /--api-key on the command line is visible in ps and shell history/;

Deno.test("an API key from stdin or BISON_API_KEY, and a warning when it is an argument", async () => {
  await withInstance({ workspaces: 3 }, async (instance) => {
    const add = (workspace: number, key: string[], input = {}) =>
      instance.cli([
        "add-workspace",
        "--connection",
        instance.connectionName,
        "--workspace-id",
        String(workspace),
        ...key,
      ], input);
    const [one, two, three] = instance.simulator.workspaces.map((w) => w.apiKey);

    const piped = await add(1, ["--api-key", "-"], { stdin: `${one}\n` });
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, warning);
    const fromEnv = await add(2, [], { env: { BISON_API_KEY: two } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.doesNotMatch(fromEnv.stderr, warning);
    const argument = await add(3, ["--api-key", three]);
    assert.equal(argument.code, 0, argument.stderr);
    assert.match(argument.stderr, warning);
    for (const run of [piped, fromEnv, argument]) {
      assert.ok(
        ![one, two, three].some((key) => run.stdout.includes(key) || run.stderr.includes(key)),
      );
    }
    const stored = await instance.sql`
      select w.bison_workspace_id::int as id, a.api_key from public.workspaces w
      join private.workspace_api_access(null) a on a.workspace_id = w.id
      where w.connection_id = ${instance.connectionId} order by 1`;
    assert.deepEqual(stored.map((row) => row.api_key), [one, two, three]);

    const empty = await instance.cli(
      ["discover", "--connection", instance.connectionName, "--api-key", "-"],
      { stdin: "" },
    );
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /--api-key -: nothing was read from stdin/);
    const missing = await instance.cli(["discover", "--connection", instance.connectionName]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--api-key is required/);
    const discovered = await instance.cli(
      ["discover", "--connection", instance.connectionName, "--api-key", "-"],
      { stdin: superAdminKey },
    );
    assert.equal(discovered.code, 0, discovered.stderr);
  });
});

Deno.test("a member's password from stdin or BISON_PASSWORD", async () => {
  await withPeople(["Client one"], "secrets.example.test", async ({ api, cli, workspaceIds }) => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const auth = createClient(api.url, testStack().anonKey, { auth: { persistSession: false } })
      .auth;
    for (
      const [label, password, input] of [
        ["stdin", "piped-password-1", { stdin: "piped-password-1\n" }],
        ["env", "env-password-2", { env: { BISON_PASSWORD: "env-password-2" } }],
      ] as [string, string, { env?: Record<string, string>; stdin?: string }][]
    ) {
      const email = `${label}-${suffix}@secrets.example.test`;
      const args = ["member", "add", "--email", email, "--workspace", String(workspaceIds[0])];
      const added = await cli(input.stdin ? [...args, "--password", "-"] : args, input);
      assert.equal(added.code, 0, added.stderr);
      assert.equal((added.result as { invite_link?: string }).invite_link, undefined);
      assert.ok(!added.stdout.includes(password) && !added.stderr.includes(password));
      const signedIn = await auth.signInWithPassword({ email, password });
      assert.equal(signedIn.error, null, `${label}: ${signedIn.error?.message}`);
    }
  });
});
