// A workspace with real-looking numbers for the insights integration tests: a connection of its
// own (so tests never see each other's rows), 30 local days of day rows, replies whose text
// carries a marker (to prove it never reaches the model), mailboxes, a member and an outsider.
import type postgres from "postgres";
import { addMemberAndOutsider } from "../_support/members.ts";

export interface SeededWorkspace {
  workspaceId: number;
  campaignId: number;
  memberId: string;
  /** The member's access token as the stack's Auth issues it (ES256, a new session). */
  memberToken: string;
  outsiderId: string;
  outsiderToken: string;
  /** Appears in every reply's subject, text and sender address. */
  replyMarker: string;
}

export async function seedWorkspace(sql: postgres.Sql): Promise<SeededWorkspace> {
  const marker = crypto.randomUUID();
  const replyMarker = `PRIVATE-REPLY-${marker}`;
  const [connection] = await sql`
    insert into public.bison_connections (name, base_url, timezone)
    values (${`insights-${marker}`}, 'https://send.example.test', 'America/Chicago')
    returning id`;
  const [workspace] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    values (${connection.id}, 1, 'Insights Test Co') returning id::int`;
  const workspaceId = workspace.id as number;
  const [campaign] = await sql`
    insert into public.campaigns (workspace_id, bison_campaign_id, name)
    values (${workspaceId}, 1, 'Alpha') returning id::int`;
  const campaignId = campaign.id as number;

  await sql`
    insert into public.workspace_daily_metrics
      (workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes)
    select ${workspaceId}, (now() at time zone 'America/Chicago')::date - i,
      200 + i, 4 + i % 3, 1 + i % 2, 2, i % 2
    from generate_series(1, 30) i`;
  await sql`
    insert into public.campaign_daily_metrics
      (campaign_id, workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes)
    select ${campaignId}, ${workspaceId}, (now() at time zone 'America/Chicago')::date - i,
      150 + i, 3 + i % 3, 1, 1, 0
    from generate_series(1, 30) i`;
  await sql`
    insert into public.replies (connection_id, workspace_id, bison_reply_id, campaign_id,
      received_at, subject, text_body, from_email)
    select ${connection.id}, ${workspaceId}, i, ${campaignId}, now() - make_interval(days => i),
      ${`Re: ${replyMarker}`}, ${`Call me at 555-0100. ${replyMarker}`},
      ${`lead-${marker}@prospect.example.test`}
    from generate_series(1, 5) i`;
  await sql`
    insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, email,
      status, connection_type, emails_sent, unique_replies)
    values
      (${connection.id}, 1, ${workspaceId}, 'a@sender.example.test', 'connected',
       'google_workspace_oauth', 1200, 30),
      (${connection.id}, 2, ${workspaceId}, 'b@sender.example.test', 'disconnected',
       'microsoft_oauth', 400, 1)`;

  const users = await addMemberAndOutsider(sql, workspaceId, marker);

  return {
    workspaceId,
    campaignId,
    ...users,
    replyMarker,
  };
}
