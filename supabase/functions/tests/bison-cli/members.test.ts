// `bison member` and `bison admin` against the stack's Auth (/auth/v1, admin API with the service
// key) and what they change under RLS: a member reads their workspace and nothing else, an admin
// reads every workspace, and removal takes both away. Bad input changes nothing.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { runBisonCli } from "../../../../scripts/local/bison-cli.ts";
import { connect, startTestApi, testStack } from "../_support/stack.ts";

const stack = testStack();
const sql = connect(stack);

/** The workspaces (Bison numbers) a user may read, as RLS decides for their requests. */
async function readable(userId: string, connectionId: string): Promise<number[]> {
  return await sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims',
      ${JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" })}, true)`;
    await tx`set local role authenticated`;
    const rows = await tx`
      select bison_workspace_id::int from public.workspaces
      where connection_id = ${connectionId} order by 1`;
    return rows.map((row) => row.bison_workspace_id);
  });
}

Deno.test("member add without a password invites: the link it prints signs the person in, once", async () => {
  const api = await startTestApi();
  const name = `invite-${crypto.randomUUID()}`;
  const email = `new-${crypto.randomUUID().slice(0, 8)}@client.example.test`;
  const cli = (args: string[]) =>
    runBisonCli(args, {
      SUPABASE_DB_URL: stack.databaseUrl,
      SUPABASE_FUNCTIONS_URL: `${api.url}/functions/v1`,
      SUPABASE_URL: api.url,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
    });
  try {
    const connected = await cli([
      "connect",
      "--name",
      name,
      "--base-url",
      "https://send.example.test",
      "--no-check",
    ]);
    assert.equal(connected.code, 0, connected.stderr);
    const connectionId = (connected.result as { connection_id: string }).connection_id;
    const [{ id }] = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connectionId}, 1, 'Client one') returning id::int`;

    const invited = await cli(["member", "add", "--email", email, "--workspace", String(id)]);
    assert.equal(invited.code, 0, invited.stderr);
    const result = invited.result as { user_id: string; created: boolean; invite_link: string };
    assert.equal(result.created, true);
    assert.match(result.invite_link, /\/auth\/v1\/verify\?token=[0-9a-f]{56}&type=invite&/);
    assert.match(invited.stderr, /pass on the invite link/);
    assert.ok(!invited.stderr.includes(result.invite_link), "the link is in the summary only");
    const [pending] = await sql`
      select invited_at is not null as invited, email_confirmed_at is null as unconfirmed
      from auth.users where id = ${result.user_id}`;
    assert.deepEqual({ ...pending }, { invited: true, unconfirmed: true });

    // The person opens the link (the project's API URL, served here by the test's gateway).
    const open = () =>
      fetch(result.invite_link.replace(stack.apiUrl, api.url), { redirect: "manual" });
    const opened = await open();
    await opened.body?.cancel();
    assert.equal(opened.status, 303);
    const fragment = new URLSearchParams(opened.headers.get("location")!.split("#")[1]);
    const token = fragment.get("access_token");
    assert.ok(token, opened.headers.get("location")!);
    const user = await createClient(api.url, stack.anonKey, { auth: { persistSession: false } })
      .auth.getUser(token);
    assert.equal(user.data.user?.id, result.user_id);
    assert.ok(user.data.user?.email_confirmed_at, "their email is confirmed");
    assert.deepEqual(
      await readable(result.user_id, connectionId),
      [1],
      "they read their workspace",
    );

    const twice = await open();
    await twice.body?.cancel();
    assert.match(twice.headers.get("location")!, /error_code=otp_expired/, "the link works once");
  } finally {
    await sql`delete from auth.users where email = ${email}`;
    await sql`delete from public.bison_connections where name = ${name}`;
    await api.close();
  }
});

Deno.test("member and admin commands create users through Auth and decide what RLS lets them read", async () => {
  const api = await startTestApi();
  const name = `people-${crypto.randomUUID()}`;
  const suffix = crypto.randomUUID().slice(0, 8);
  const ana = `ana-${suffix}@client.example.test`;
  const ops = `ops-${suffix}@agency.example.test`;
  const cli = (args: string[]) =>
    runBisonCli(args, {
      SUPABASE_DB_URL: stack.databaseUrl,
      SUPABASE_FUNCTIONS_URL: `${api.url}/functions/v1`,
      SUPABASE_URL: api.url,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
    });
  try {
    const connected = await cli([
      "connect",
      "--name",
      name,
      "--base-url",
      "https://send.example.test",
      "--no-check",
    ]);
    assert.equal(connected.code, 0, connected.stderr);
    const connectionId = (connected.result as { connection_id: string }).connection_id;
    const ids = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connectionId}, 1, 'Client one'), (${connectionId}, 2, 'Client two')
      returning id::int`;
    const [one, two] = ids.map((row) => String(row.id));
    const users = async () => (await sql`select count(*)::int as n from auth.users`)[0].n;
    const usersBefore = await users();

    // Bad input: a clear error, exit 2, no user and no membership.
    for (
      const [args, expected] of [
        [["--email", "ana at client", "--workspace", one], /is not an email address/],
        [["--email", ana, "--workspace", "999999"], /no workspace with id 999999/],
        [["--email", ana, "--workspace", one, "--role", "owner"], /--role must be member or admin/],
        [["--email", ana], /--workspace is required/],
      ] as [string[], RegExp][]
    ) {
      const run = await cli(["member", "add", ...args, "--password", "a-long-password-1"]);
      assert.equal(run.code, 2, args.join(" "));
      assert.match(run.stderr, expected);
    }
    assert.equal(await users(), usersBefore, "no user was created");

    const added = await cli([
      "member",
      "add",
      "--email",
      ana,
      "--workspace",
      one,
      "--password",
      "a-long-password-1",
    ]);
    assert.equal(added.code, 0, added.stderr);
    const member = added.result as { user_id: string; created: boolean; role: string };
    assert.equal(member.created, true);
    assert.equal(member.role, "member");
    assert.ok(!added.stdout.includes("a-long-password-1"), "the password is never printed");
    // The account is real: it signs in through Auth with the password given.
    const auth = createClient(api.url, stack.anonKey, { auth: { persistSession: false } }).auth;
    const signedIn = await auth.signInWithPassword({ email: ana, password: "a-long-password-1" });
    assert.equal(signedIn.error, null);
    assert.equal(signedIn.data.user?.id, member.user_id);
    assert.deepEqual(await readable(member.user_id, connectionId), [1], "a member reads theirs");

    const again = await cli([
      "member",
      "add",
      "--email",
      ana,
      "--workspace",
      two,
      "--role",
      "admin",
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.result as { created: boolean }).created, false, "the same user");
    assert.deepEqual(await readable(member.user_id, connectionId), [1, 2]);
    const listed = await cli(["member", "list", "--workspace", two, "--json"]);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { email: string; role: string }[]).map((
        m,
      ) => [m.email, m.role]),
      [[ana, "admin"]],
    );

    const removed = await cli(["member", "remove", "--email", ana, "--workspace", one]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((removed.result as { removed: boolean }).removed, true);
    assert.deepEqual(await readable(member.user_id, connectionId), [2]);
    const removedAgain = await cli(["member", "remove", "--email", ana, "--workspace", one]);
    assert.equal((removedAgain.result as { removed: boolean }).removed, false);
    assert.match(removedAgain.stderr, /was not a member/);

    // An agency admin reads every workspace, and the health of all of them.
    const admin = await cli(["admin", "add", "--email", ops, "--password", "another-password-2"]);
    assert.equal(admin.code, 0, admin.stderr);
    const adminId = (admin.result as { user_id: string }).user_id;
    assert.deepEqual(await readable(adminId, connectionId), [1, 2]);
    const admins = await cli(["admin", "list"]);
    assert.match(admins.stdout, new RegExp(ops.replace(/\./g, "\\.")));
    const demoted = await cli(["admin", "remove", "--email", ops]);
    assert.equal(demoted.code, 0, demoted.stderr);
    assert.deepEqual(await readable(adminId, connectionId), []);
    const unknown = await cli(["admin", "remove", "--email", `nobody-${suffix}@example.test`]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no user with email/);
  } finally {
    await sql`select private.purge_connection(id) from public.bison_connections where name = ${name}`;
    await sql`delete from auth.users where email in (${ana}, ${ops})`;
    await api.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
