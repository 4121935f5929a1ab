// Every read of the database the dashboard makes, in one place: the read model's views and RPCs
// (docs/data-model.md), always as the signed-in user, so RLS decides what comes back. Numbers,
// rates, days and statuses are the database's; the dashboard only shows them.
import { rows } from "../resource.ts";
import { supabase } from "../session.ts";

export type Period = "today" | "yesterday" | "last_7_days" | "last_30_days" | "month_to_date";
export const periods: Period[] = [
  "today",
  "yesterday",
  "last_7_days",
  "last_30_days",
  "month_to_date",
];

export interface Workspace {
  id: number;
  name: string | null;
  connection_id: string;
}

export interface Kpis {
  workspace_id: number;
  period: Period;
  period_start: string;
  period_end_exclusive: string;
  timezone: string;
  emails_sent: number;
  first_contacts: number;
  opens: number;
  replies: number;
  interested: number;
  bounces: number;
  unsubscribes: number;
  reply_rate_pct: number | null;
  interested_rate_pct: number | null;
  bounce_rate_pct: number | null;
  days_from_bison_stats: number;
}

export type PacingStatus = "ahead" | "on_track" | "behind" | "at_risk";

export interface Pacing {
  workspace_id: number;
  month: string;
  metric: string;
  target: number;
  actual_mtd: number;
  expected_so_far: number;
  projected_month_end: number;
  of_target_pct: number | null;
  /** actual_mtd as a percentage of expected_so_far; what pacing_status is judged on. */
  pace_pct: number | null;
  sending_days_elapsed: number;
  sending_days_total: number;
  pacing_status: PacingStatus;
}

export interface MailboxHealth {
  workspace_id: number;
  mailboxes_total: number;
  connected: number;
  disconnected: number;
  unknown_status: number;
  burnt: number;
  daily_capacity: number;
  disconnected_pct: number | null;
}

export interface PipelineHealth {
  workspace_id: number;
  connection_id: string;
  last_event_at: string | null;
  events_24h: number;
  webhook_status: "healthy" | "degraded" | "down" | "unknown";
  webhook_subscription_verified_at: string | null;
  last_complete_sync_at: string | null;
  sync_running: boolean;
  open_alerts: number;
}

export interface DayRow {
  day: string;
  emails_sent: number;
  replies: number;
  interested: number;
  bounces: number;
  unsubscribes: number;
  source: string | null;
}

export interface CampaignMetrics {
  campaign_id: number;
  workspace_id: number;
  name: string | null;
  emails_sent: number;
  replies: number;
  interested: number;
  bounces: number;
  emails_sent_7d: number;
  replies_7d: number;
  interested_7d: number;
  reply_rate_pct: number | null;
  interested_rate_pct: number | null;
  bounce_rate_pct: number | null;
  last_day: string | null;
}

export interface Activity {
  id: string;
  workspace_id: number;
  kind: "reply" | "interested";
  occurred_at: string;
  campaign_id: number | null;
  campaign_name: string | null;
  lead_email: string | null;
  lead_name: string | null;
  subject: string | null;
}

export interface InsightItem {
  key: string;
  value: string;
  metric?: string;
  trend?: "up" | "down" | "neutral";
}

export interface Insight {
  id: number;
  workspace_id: number;
  campaign_id: number | null;
  period_start: string;
  period_end: string;
  source: "claude" | "rules";
  model: string | null;
  items: InsightItem[];
  created_at: string;
}

export interface SyncRun {
  id: number;
  workspace_id: number;
  started_at: string;
  finished_at: string | null;
  mailboxes_seen: number;
  complete: boolean;
  error: string | null;
}

export interface ProviderMailboxes {
  workspace_id: number;
  connection_id: string;
  provider: string | null;
  reseller: string | null;
  mailboxes_total: number;
  connected: number;
  disconnected: number;
  burnt: number;
  daily_capacity: number;
  emails_sent: number;
  unique_replies: number;
  reply_rate_pct: number | null;
}

export interface ProviderDay {
  connection_id: string;
  day: string;
  provider: string | null;
  reseller: string | null;
  mailboxes_total: number;
  burnt_mailboxes: number;
  emails_sent_day: number;
  reply_rate_7d_pct: number | null;
}

export interface HealthCheck {
  check_name: string;
  scope: string;
  workspace_id: number | null;
  connection_id: string | null;
  status: "healthy" | "degraded" | "down";
  value: number | null;
  message: string;
  checked_at: string;
  changed_at: string;
}

export interface AlertChange {
  id: number;
  check_name: string;
  scope: string;
  workspace_id: number | null;
  connection_id: string | null;
  status: "healthy" | "degraded" | "down";
  previous_status: "healthy" | "degraded" | "down" | null;
  value: number | null;
  message: string;
  recorded_at: string;
}

const db = () => supabase();

type Query = ReturnType<ReturnType<ReturnType<typeof db>["from"]>["select"]>;

/** Every row of a per-workspace view the user may see, or one workspace's. */
function perWorkspace<T>(
  view: string,
  workspaceId: number | undefined,
  narrow: (query: Query) => Query = (query) => query,
): Promise<T[]> {
  let query = narrow(db().from(view).select("*"));
  if (workspaceId !== undefined) query = query.eq("workspace_id", workspaceId);
  return rows<T[]>(view, query);
}

export const read = {
  workspaces: () =>
    rows<Workspace[]>(
      "workspaces",
      db().from("workspaces").select("id, name, connection_id").order("name"),
    ),
  workspace: (id: number) =>
    rows<Workspace[]>(
      "workspaces",
      db().from("workspaces").select("id, name, connection_id").eq("id", id),
    ).then((found) => found[0] ?? null),
  kpis: (selected: Period[], workspaceId?: number) =>
    perWorkspace<Kpis>("workspace_kpis", workspaceId, (query) => query.in("period", selected)),
  pacing: (workspaceId?: number) => perWorkspace<Pacing>("workspace_pacing", workspaceId),
  mailboxHealth: (workspaceId?: number) =>
    perWorkspace<MailboxHealth>("workspace_mailbox_health", workspaceId),
  pipelineHealth: (workspaceId?: number) =>
    perWorkspace<PipelineHealth>("pipeline_health", workspaceId),
  dailySeries: (workspaceId: number, days = 30) =>
    rows<DayRow[]>(
      "workspace_daily_series",
      db().rpc("workspace_daily_series", { workspace_id: workspaceId, days }),
    ),
  campaigns: (workspaceId: number) =>
    rows<CampaignMetrics[]>(
      "campaign_metrics",
      db().from("campaign_metrics").select("*").eq("workspace_id", workspaceId)
        .order("emails_sent", { ascending: false }),
    ),
  activity: (workspaceId: number) =>
    rows<Activity[]>(
      "activity_feed",
      db().from("activity_feed").select("*").eq("workspace_id", workspaceId)
        .order("occurred_at", { ascending: false }).limit(50),
    ),
  insights: (workspaceId: number) =>
    rows<Insight[]>(
      "insights",
      db().from("insights")
        .select(
          "id, workspace_id, campaign_id, period_start, period_end, source, model, items, created_at",
        )
        .eq("workspace_id", workspaceId).is("campaign_id", null)
        .order("created_at", { ascending: false }).limit(1),
    ),
  latestSync: (workspaceId: number) =>
    rows<SyncRun[]>(
      "sender_email_sync_runs",
      db().from("sender_email_sync_runs")
        .select("id, workspace_id, started_at, finished_at, mailboxes_seen, complete, error")
        .eq("workspace_id", workspaceId).order("started_at", { ascending: false }).limit(1),
    ).then((found) => found[0] ?? null),
  providerMailboxes: () =>
    rows<ProviderMailboxes[]>(
      "mailbox_health_by_provider",
      db().from("mailbox_health_by_provider").select("*"),
    ),
  providerHistory: (since: string) =>
    rows<ProviderDay[]>(
      "provider_performance_history",
      db().from("provider_performance_history")
        .select(
          "connection_id, day, provider, reseller, mailboxes_total, burnt_mailboxes, emails_sent_day, reply_rate_7d_pct",
        )
        .gte("day", since).order("day"),
    ),
  healthChecks: () =>
    rows<HealthCheck[]>(
      "system_health",
      db().from("system_health").select("*").order("check_name").order("scope"),
    ),
  alertHistory: () =>
    rows<AlertChange[]>(
      "health_alert_history",
      db().from("health_alert_history").select("*").order("recorded_at", { ascending: false })
        .limit(100),
    ),
};

/** Agency admins only (the database answers 42501 to anyone else). */
export async function setWorkspaceTarget(
  workspaceId: number,
  metric: string,
  target: number,
): Promise<void> {
  const { error } = await db().rpc("set_workspace_target", {
    workspace_id: workspaceId,
    metric,
    target,
  });
  if (error) throw new Error(error.message);
}

export type GenerateOutcome = { ok: true } | { ok: false; message: string };

/** POST /functions/v1/insights/generate as the signed-in user. */
export async function generateInsights(workspaceId: number): Promise<GenerateOutcome> {
  const { error, response } = await db().functions.invoke("insights/generate", {
    body: { workspace_id: workspaceId },
  });
  if (!error) return { ok: true };
  let message = error.message;
  try {
    const body = await response?.clone().json();
    if (body && typeof body.error === "string") message = body.error;
    else if (body && typeof body.message === "string") message = body.message;
  } catch { /* not JSON: keep supabase-js's message */ }
  const retryAfter = response?.headers.get("retry-after");
  if (response?.status === 429 && retryAfter) message += ` (try again in ${retryAfter} s)`;
  return { ok: false, message };
}
