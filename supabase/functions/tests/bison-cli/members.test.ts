// `bison member` and `bison admin` against the stack's Auth (/auth/v1, admin API with the service
// key) and what they change under RLS: a member reads their workspace and nothing else, an admin
// reads every workspace, and removal takes both away. Bad input changes nothing.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { connect, testStack } from "../_support/stack.ts";
import { withPeople } from "../_support/members.ts";
import { devDashboardPort } from "../../../../scripts/local/dashboard.ts";

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
  await withPeople(["Client one"], "invite.example.test", async ({ api, cli, workspaceIds }) => {
    const email = `new-${crypto.randomUUID().slice(0, 8)}@invite.example.test`;
    const invited = await cli([
      "member",
      "add",
      "--email",
      email,
      "--workspace",
      String(workspaceIds[0]),
    ]);
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
    const [landing, fragmentText] = opened.headers.get("location")!.split("#");
    assert.equal(landing, `http://127.0.0.1:${devDashboardPort}`, "the Site URL: the dashboard");
    const fragment = new URLSearchParams(fragmentText);
    const token = fragment.get("access_token");
    assert.ok(token, opened.headers.get("location")!);
    const user = await createClient(api.url, stack.anonKey, { auth: { persistSession: false } })
      .auth.getUser(token);
    assert.equal(user.data.user?.id, result.user_id);
    assert.ok(user.data.user?.email_confirmed_at, "their email is confirmed");
    const connectionId = (await sql`
      select connection_id from public.workspaces where id = ${workspaceIds[0]}`)[0].connection_id;
    assert.deepEqual(
      await readable(result.user_id, connectionId),
      [1],
      "they read their workspace",
    );

    const twice = await open();
    await twice.body?.cancel();
    assert.match(twice.headers.get("location")!, /error_code=otp_expired/, "the link works once");

    const invite = (...extra: string[]) =>
      cli([
        "member",
        "add",
        "--email",
        `x-${email}`,
        "--workspace",
        String(workspaceIds[0]),
        ...extra,
      ]);
    for (const redirect of ["javascript:alert(1)", "/relative", "https://"]) {
      const refused = await invite("--redirect-to", redirect);
      assert.equal(refused.code, 2, redirect);
      assert.match(refused.stderr, /--redirect-to .* is not an http\(s\) URL/);
    }
    const both = await invite(
      "--redirect-to",
      "https://dashboard.example.test",
      "--password",
      "a-long-password-1",
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--redirect-to is for invites/);
    const [{ count }] =
      await sql`select count(*)::int from auth.users where email = ${`x-${email}`}`;
    assert.equal(count, 0, "nothing was created");
  });
});

Deno.test("member and admin commands create users through Auth and decide what RLS lets them read", async () => {
  await withPeople(["Client one", "Client two"], "people.example.test", async (people) => {
    const { api, cli, connectionId } = people;
    const suffix = crypto.randomUUID().slice(0, 8);
    const ana = `ana-${suffix}@people.example.test`;
    const ops = `ops-${suffix}@people.example.test`;
    const [one, two] = people.workspaceIds.map(String);
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
  });
});

globalThis.addEventListener("unload", () => {
  sql.end();
});

Deno.test("input refused after a change is exit 1 saying what was done, never exit 2 'nothing changed'", async () => {
  await withPeople(["Client one"], "halfway.example.test", async ({ cli, workspaceIds }) => {
    const email = `halfway-${crypto.randomUUID().slice(0, 8)}@halfway.example.test`;
    const add = (workspace: number, ...extra: string[]) =>
      cli(["member", "add", "--email", email, "--workspace", String(workspace), ...extra], {
        env: { BISON_PASSWORD: "halfway-password-1" },
      });
    // The membership is refused (23514) only after the account was created through Auth.
    await sql`alter table public.workspace_members
              add constraint halfway_probe check (role <> 'admin') not valid`;
    try {
      const run = await add(workspaceIds[0], "--role", "admin");
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /halfway_probe.*it had already created the account .*halfway-/s);
      const [user] = await sql`select 1 from auth.users where email = ${email}`;
      assert.ok(user, "the account it says it created exists");
    } finally {
      await sql`alter table public.workspace_members drop constraint halfway_probe`;
    }
    // Refused before any change: still exit 2, nothing changed.
    assert.equal((await add(999_999_999)).code, 2);
  });
});
