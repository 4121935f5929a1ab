// Rows for the Data API tests, on a connection of their own so tests never see each other's data:
// three workspaces with different names, zones and flags (one without a name, for null ordering),
// daily metrics for two of them, a campaign, a member of the first workspace and an outsider.
// Clients are the real supabase-js, pointed at a gateway that serves /rest/v1.
import type postgres from "postgres";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { startTestApi, testStack } from "../_support/stack.ts";
import { addMemberAndOutsider, type MemberAndOutsider } from "../_support/members.ts";

export interface Seeded extends MemberAndOutsider {
  /** "Alpha Agency", UTC via its connection, 5 days of metrics, the member's workspace. */
  alpha: number;
  /** "beta bakery", America/Chicago, needs_review, 2 days of metrics. */
  beta: number;
  /** No name, no metrics. */
  gamma: number;
  ids: number[];
  campaign: number;
  /** The days of alpha's metrics, newest first: emails_sent 100, 200, 300, 400, 500. */
  alphaDays: string[];
}

export async function seed(sql: postgres.Sql): Promise<Seeded> {
  const marker = crypto.randomUUID();
  const [connection] = await sql`
    insert into public.bison_connections (name, base_url, timezone)
    values (${`data-api-${marker}`}, 'https://send.example.test', 'UTC') returning id`;
  const [alpha, beta, gamma] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name, timezone, needs_review)
    values (${connection.id}, 1, 'Alpha Agency', null, false),
           (${connection.id}, 2, 'beta bakery', 'America/Chicago', true),
           (${connection.id}, 3, null, null, false)
    returning id::int`;
  const alphaDays = await sql`
    insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies, interested)
    select ${alpha.id}, current_date - i, 100 * i, 10 * i, i
    from generate_series(1, 5) i
    returning day::text, emails_sent`;
  await sql`
    insert into public.workspace_daily_metrics (workspace_id, day, emails_sent, replies)
    select ${beta.id}, current_date - i, 50, 1 from generate_series(1, 2) i`;
  const [campaign] = await sql`
    insert into public.campaigns (workspace_id, bison_campaign_id, name)
    values (${alpha.id}, 1, 'Launch') returning id::int`;
  await sql`
    insert into public.campaign_daily_metrics
      (campaign_id, workspace_id, day, emails_sent, replies, interested)
    select ${campaign.id}, ${alpha.id}, current_date - i, 100 * i, 10 * i, i
    from generate_series(1, 5) i`;
  const users = await addMemberAndOutsider(sql, alpha.id, marker);
  return {
    alpha: alpha.id,
    beta: beta.id,
    gamma: gamma.id,
    ids: [alpha.id, beta.id, gamma.id],
    campaign: campaign.id,
    ...users,
    alphaDays: alphaDays.map((row) => row.day as string).sort().reverse(),
  };
}

/** supabase-js as a frontend holds it: the anon key, and a user's token once signed in. */
export function clientFor(url: string, accessToken?: string): SupabaseClient {
  const stack = testStack();
  return createClient(url, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: accessToken ? { headers: { Authorization: `Bearer ${accessToken}` } } : undefined,
  });
}

/** supabase-js with the service key, as a backend holds it. */
export function serviceClient(url: string): SupabaseClient {
  return createClient(url, testStack().serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

/** A gateway serving the client APIs, for the length of `body`. */
export async function withApi(body: (url: string) => Promise<void>) {
  const api = await startTestApi();
  try {
    await body(api.url);
  } finally {
    await api.close();
  }
}
