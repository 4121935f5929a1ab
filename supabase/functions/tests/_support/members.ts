// Two Auth users for a workspace's tests: a member of the workspace and an outsider (a user who
// belongs to nothing), with tokens signed as the stack's Auth would sign them.
import type postgres from "postgres";
import { userToken } from "./stack.ts";

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
