// Every read of the database the dashboard makes, in one place: the read model's views and RPCs
// (docs/data-model.md), always as the signed-in user, so RLS decides what comes back. Numbers,
// rates, days and statuses are the database's; the dashboard only shows them.
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../../../supabase/types/database.ts";
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

// Row shapes come from the types generated from the database (supabase/types/database.ts, checked
// against it by npm test): a renamed or removed column fails the dashboard's type check.
type Tables = Database["public"]["Tables"];
type Views = Database["public"]["Views"];
type Functions = Database["public"]["Functions"];

export type Workspace = Pick<Tables["workspaces"]["Row"], "id" | "name" | "connection_id">;
export type Kpis = Views["workspace_kpis"]["Row"];
export type PacingStatus = "ahead" | "on_track" | "behind" | "at_risk";
export type Pacing = Views["workspace_pacing"]["Row"];
export type MailboxHealth = Views["workspace_mailbox_health"]["Row"];
export type PipelineHealth = Views["pipeline_health"]["Row"];
export type DayRow = Functions["workspace_daily_series"]["Returns"][number];
export type CampaignMetrics = Views["campaign_metrics"]["Row"];
export type Activity = Views["activity_feed"]["Row"];
export type ProviderMailboxes = Views["mailbox_health_by_provider"]["Row"];
export type HealthCheck = Tables["system_health"]["Row"];
export type AlertChange = Views["health_alert_history"]["Row"];
export type SyncRun = Pick<
  Tables["sender_email_sync_runs"]["Row"],
  "id" | "workspace_id" | "started_at" | "finished_at" | "mailboxes_seen" | "complete" | "error"
>;
export type ProviderDay = Pick<
  Tables["provider_performance_history"]["Row"],
  | "connection_id"
  | "day"
  | "provider"
  | "reseller"
  | "mailboxes_total"
  | "burnt_mailboxes"
  | "emails_sent_day"
  | "reply_rate_7d_pct"
>;

/** One insight of public.insights.items (docs/insights.md). */
export interface InsightItem {
  key: string;
  value: string;
  metric?: string;
  trend?: "up" | "down" | "neutral";
}

export type Insight =
  & Pick<
    Tables["insights"]["Row"],
    | "id"
    | "workspace_id"
    | "campaign_id"
    | "period_start"
    | "period_end"
    | "source"
    | "model"
    | "created_at"
  >
  & { items: InsightItem[] };

const db = () => supabase();

/** The views with one or more rows per workspace, read whole or for one workspace. */
type WorkspaceView =
  | "workspace_kpis"
  | "workspace_pacing"
  | "workspace_mailbox_health"
  | "pipeline_health";

/** Every row of a per-workspace view the user may see, or one workspace's; KPIs of some periods. */
function perWorkspace<V extends WorkspaceView>(
  view: V,
  workspaceId: number | undefined,
  onlyPeriods?: Period[],
): Promise<Views[V]["Row"][]> {
  // One query for several views: their names are checked by WorkspaceView, their rows by V.
  let query = (db() as unknown as SupabaseClient).from(view).select("*");
  if (onlyPeriods) query = query.in("period", onlyPeriods);
  if (workspaceId !== undefined) query = query.eq("workspace_id", workspaceId);
  return rows<Views[V]["Row"][]>(view, query);
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
    perWorkspace("workspace_kpis", workspaceId, selected),
  pacing: (workspaceId?: number) => perWorkspace("workspace_pacing", workspaceId),
  mailboxHealth: (workspaceId?: number) => perWorkspace("workspace_mailbox_health", workspaceId),
  pipelineHealth: (workspaceId?: number) => perWorkspace("pipeline_health", workspaceId),
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
