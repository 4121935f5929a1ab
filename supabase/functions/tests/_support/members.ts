// Two Auth users for a workspace's tests: a member of the workspace and an outsider (a user who
// belongs to nothing), with tokens signed as the stack's Auth would sign them.
import type postgres from "postgres";
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { testStack, userToken } from "./stack.ts";

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
