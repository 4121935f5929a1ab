// Two Auth users for a workspace's tests: a member of the workspace and an outsider (a user who
// belongs to nothing), with tokens signed as the stack's Auth would sign them.
import type postgres from "postgres";
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { connect, startTestApi, testStack, userToken } from "./stack.ts";
import {
  type BisonCliRun,
  runBisonCli as runSharedBisonCli,
} from "../../../../scripts/local/bison-cli.ts";

export interface MemberAndOutsider {
  memberId: string;
  /** Access tokens as the stack's Auth issues them (see userToken). */
  memberToken: string;
  outsiderId: string;
  outsiderToken: string;
}

/** `label` keeps the users' emails unique across tests (a random marker is fine). */
export async function addMemberAndOutsider(
  sql: postgres.Sql,
  workspaceId: number,
  label: string,
): Promise<MemberAndOutsider> {
  const [{ member }] = await sql`
    select tests.create_user(${`member-${label}@example.test`})::text as member`;
  const [{ outsider }] = await sql`
    select tests.create_user(${`outsider-${label}@example.test`})::text as outsider`;
  await sql`
    insert into public.workspace_members (user_id, workspace_id)
    values (${member}::uuid, ${workspaceId})`;
  return {
    memberId: member,
    memberToken: await userToken(member),
    outsiderId: outsider,
    outsiderToken: await userToken(outsider),
  };
}

/**
 * A person who signs in with a password, created as an operator creates one: Auth's admin API
 * with the service key, on the API at apiUrl (startTestApi's url). A member of nothing yet.
 */
export async function createPasswordUser(apiUrl: string, label: string) {
  const admin = createClient(apiUrl, testStack().serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const email = `${label}-${crypto.randomUUID()}@client.example.test`;
  const password = "correct horse battery staple";
  const { data, error } = await admin.auth.admin.createUser({
    email,
    password,
    email_confirm: true,
  });
  assert.equal(error, null);
  return { email, password, id: data.user!.id };
}

/** What a test of `bison member` / `bison admin` works with (withPeople). */
export interface People {
  api: { url: string };
  sql: postgres.Sql;
  connectionId: string;
  /** Our ids of the workspaces created, in the order named. */
  workspaceIds: number[];
  /** The CLI against the test database and this test's Auth; env and stdin added. */
  cli: (
    args: string[],
    input?: { env?: Record<string, string>; stdin?: string },
  ) => Promise<BisonCliRun>;
}

/**
 * A connection with the named workspaces, the stack's client APIs on a test gateway (Auth for
 * the CLI's admin calls), and the CLI pointed at both; the connection and every user whose email
 * ends with `@<emailDomain>` are removed afterwards.
 */
export async function withPeople(
  workspaceNames: string[],
  emailDomain: string,
  body: (people: People) => Promise<void>,
) {
  const stack = testStack();
  const sql = connect(stack);
  const api = await startTestApi();
  const name = `people-${crypto.randomUUID()}`;
  const cli: People["cli"] = (args, input = {}) =>
    runSharedBisonCli(args, {
      SUPABASE_DB_URL: stack.databaseUrl,
      SUPABASE_FUNCTIONS_URL: `${api.url}/functions/v1`,
      SUPABASE_URL: api.url,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      ...input.env,
    }, input.stdin);
  try {
    const connected = await cli([
      "connect",
      "--name",
      name,
      "--base-url",
      "https://send.example.test",
      "--no-check",
    ]);
    if (connected.code !== 0) throw new Error(`bison connect failed: ${connected.stderr}`);
    const connectionId = (connected.result as { connection_id: string }).connection_id;
    const workspaceIds: number[] = [];
    for (const [index, workspaceName] of workspaceNames.entries()) {
      const [{ id }] = await sql`
        insert into public.workspaces (connection_id, bison_workspace_id, name)
        values (${connectionId}, ${index + 1}, ${workspaceName}) returning id::int`;
      workspaceIds.push(id);
    }
    await body({ api, sql, connectionId, workspaceIds, cli });
  } finally {
    await sql`select private.purge_connection(id) from public.bison_connections where name = ${name}`;
    await sql`delete from auth.users where email like ${`%@${emailDomain}`}`;
    await api.close();
    await sql.end();
  }
}
