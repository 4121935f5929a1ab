// POST /check-system-health[/catch-up|/reconcile], cron secret only.
// - (no route): evaluates every health check, then posts the queued Slack alerts. Slack failing
//   never fails the check: unsent alerts stay queued for the next run. A run that delivered
//   everything pings the heartbeat URL (Vault health_heartbeat_url), the dead man's switch that
//   raises an alert outside the system when the pings stop.
// - /catch-up {workspace_id, catchup_id?}: an emergency catch-up of a silent workspace: poll its
//   mailboxes now, replay interested replies since the last one seen through the same ingest path
//   (same idempotency keys as webhooks, so nothing counts twice), fetch Bison's stats for today.
// - /reconcile {workspace_id?}: Bison's own numbers for each workspace's last complete local day,
//   the settlement of a backfill's boundary day once it is over, and interest made to agree with
//   Bison's interested replies of the recent local days (Bison sends no webhook when a reply is
//   un-marked or marked again).
// Every route ends before its caller's timeout (run-deadline.ts): Bison requests, retries and
// Slack posts stop at the deadline, and what was not done is left for the next run and reported
// (`left`, `deadline_reached`).
import { z } from "zod";
import { refuseUnlessCronPost } from "../_shared/cron-auth.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";
import {
  asWorkspace,
  type BisonClient,
  BisonDeadlineError,
  type BisonReply,
} from "../_shared/bison-client.ts";
import type { ConnectionCall } from "../_shared/bison-access.ts";
import { type RunDeadline, runDeadline } from "../_shared/run-deadline.ts";
import type { HealthStore, InterestedReconciliation, WorkspaceAccess } from "./store.ts";

export interface HealthDeps {
  cronSecret: string | undefined;
  store: HealthStore;
  clientFor: (call: ConnectionCall) => BisonClient;
  fetch?: typeof fetch;
  log?: (entry: Record<string, unknown>) => void;
}

const catchUpSchema = z.object({
  workspace_id: z.number().int().positive(),
  catchup_id: z.number().int().positive().optional(),
}).strict();
const reconcileSchema = z.object({ workspace_id: z.number().int().positive().optional() }).strict();

/** A Slack post or a heartbeat waits at most this long. */
const postTimeoutMs = 10_000;
/** What reconciling one workspace needs at least (a few Bison requests): none starts with less. */
const workspaceReserveMs = 10_000;

/** A REST reply replayed as the LEAD_INTERESTED webhook it stands for (same natural ids). */
export function interestedEventFromReply(
  access: WorkspaceAccess,
  reply: BisonReply,
): Record<string, unknown> {
  const id = (
    value: unknown,
  ) => (value === null || value === undefined ? undefined : Number(value));
  return {
    event: {
      type: "LEAD_INTERESTED",
      name: "Lead Interested (catch-up)",
      workspace_id: access.bison_workspace_id,
    },
    data: {
      reply: {
        id: reply.id,
        uuid: reply.uuid,
        email_subject: reply.email_subject ?? reply.subject,
        text_body: reply.text_body,
        date_received: reply.date_received,
        from_name: reply.from_name,
        from_email_address: reply.from_email_address,
        interested: true,
        automated_reply: reply.automated_reply,
      },
      ...(id(reply.lead_id)
        ? { lead: { id: id(reply.lead_id), email: reply.from_email_address } }
        : {}),
      ...(id(reply.campaign_id) ? { campaign: { id: id(reply.campaign_id) } } : {}),
    },
  };
}

export function createHealthHandler(deps: HealthDeps): (request: Request) => Promise<Response> {
  const log = deps.log ?? ((entry) => console.error(JSON.stringify(entry)));
  const doFetch = deps.fetch ?? fetch;

  const clientFor = (access: WorkspaceAccess, deadline: RunDeadline) =>
    deps.clientFor({
      baseUrl: access.base_url,
      apiKey: access.api_key,
      connectionId: access.connection_id,
      signal: deadline.signal,
    });
  const postSignal = (deadline: RunDeadline) =>
    AbortSignal.any([AbortSignal.timeout(postTimeoutMs), deadline.signal]);

  async function deliverAlerts(deadline: RunDeadline) {
    const url = await deps.store.slackWebhookUrl();
    const alerts = url ? await deps.store.claimAlerts() : [];
    let sent = 0;
    let failed = false;
    for (const [index, alert] of alerts.entries()) {
      if (deadline.near(postTimeoutMs)) {
        // No time to wait for Slack: the rest go out with the next run.
        await deps.store.releaseAlerts(alerts.slice(index).map(({ id }) => id));
        return {
          slack: "configured",
          alerts_sent: sent,
          alerts_left: alerts.length - index,
          failed: true,
        };
      }
      try {
        const response = await doFetch(url!, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(alert.message),
          signal: postSignal(deadline),
        });
        await response.body?.cancel();
        if (!response.ok) throw new Error(`Slack answered ${response.status}`);
        await deps.store.alertSent(alert.id);
        sent++;
      } catch (error) {
        await deps.store.alertFailed(alert.id, (error as Error).message);
        log({ level: "warn", msg: "alert not delivered; retried next run", error: String(error) });
        failed = true;
        break; // Slack is down: keep the order, try everything again next run
      }
    }
    return {
      slack: url ? "configured" : "not configured",
      alerts_sent: sent,
      alerts_left: 0,
      failed,
    };
  }

  /** Pings the dead man's switch; its URL holds a secret, so it is never logged. */
  async function pingHeartbeat(alertsFailed: boolean, deadline: RunDeadline): Promise<string> {
    const url = await deps.store.heartbeatUrl();
    if (!url) return "not configured";
    if (alertsFailed) return "withheld: alerts could not be delivered";
    try {
      const response = await doFetch(url, { method: "GET", signal: postSignal(deadline) });
      await response.body?.cancel();
      if (response.ok) return "sent";
      log({ level: "warn", msg: "heartbeat refused", status: response.status });
      return `failed: HTTP ${response.status}`;
    } catch (error) {
      log({ level: "warn", msg: "heartbeat not delivered", error: (error as Error).name });
      return "failed: no answer";
    }
  }

  async function catchUp(input: z.infer<typeof catchUpSchema>, deadline: RunDeadline) {
    const [access] = await deps.store.workspaceAccess(input.workspace_id);
    if (!access) return json(404, { error: `workspace ${input.workspace_id} has no API key` });
    const figures = { repliesSeen: 0, repliesIngested: 0, error: null as string | null };
    let statsDay: string | null = null;
    let repliesLeft = 0;
    try {
      await deps.store.requestPoll(access.workspace_id);
      const client = clientFor(access, deadline);
      // A day of overlap: anything already stored is a duplicate and changes nothing.
      const since = await deps.store.interestedReplayHorizon(access.workspace_id);
      const horizon = since ? since.getTime() : null;
      // Today in the workspace's reporting zone, as the database counts days.
      statsDay = access.today;
      const day = statsDay;
      const { items, stats } = await asWorkspace(
        client,
        access,
        deps.store.withKeyLock,
        async () => ({
          items: (await client.listInterestedReplies((page) =>
            horizon !== null &&
            page.every((reply) => Date.parse(reply.date_received ?? "") < horizon)
          )).items,
          stats: await client.workspaceStats(day, day),
        }),
      );
      // The first page may reach back further than the horizon: those are already known.
      const recent = horizon === null
        ? items
        : items.filter((reply) => !(Date.parse(reply.date_received ?? "") < horizon));
      figures.repliesSeen = recent.length;
      for (const [index, reply] of recent.entries()) {
        if (deadline.near()) {
          repliesLeft = recent.length - index;
          throw new BisonDeadlineError(
            `the run's deadline came with ${repliesLeft} replies still to replay`,
          );
        }
        const outcome = await deps.store.ingestEvent(
          access.connection_id,
          interestedEventFromReply(access, reply),
        );
        if (outcome !== "duplicate") figures.repliesIngested++;
      }
      await deps.store.saveStats(access.workspace_id, day, stats);
    } catch (error) {
      figures.error = (error as Error).message;
    }
    if (input.catchup_id) await deps.store.finishCatchup(input.catchup_id, figures);
    return json(figures.error ? 502 : 200, {
      workspace_id: access.workspace_id,
      replies_seen: figures.repliesSeen,
      replies_ingested: figures.repliesIngested,
      stats_day: statsDay,
      poll_requested: true,
      deadline_reached: deadline.signal.aborted || repliesLeft > 0,
      ...(figures.error ? { error: figures.error } : {}),
    });
  }

  async function reconcile(input: z.infer<typeof reconcileSchema>, deadline: RunDeadline) {
    const workspaces = await deps.store.workspaceAccess(input.workspace_id ?? null);
    const failed: { workspace_id: number; error: string }[] = [];
    const interested: ({ workspace_id: number } & InterestedReconciliation)[] = [];
    const left: number[] = [];
    let settled = 0;
    for (const access of workspaces) {
      if (deadline.near(workspaceReserveMs)) {
        left.push(access.workspace_id);
        continue;
      }
      // The workspace's last complete local day, as the database counts days.
      const day = access.last_complete_day;
      try {
        const since = await deps.store.interestedWindowStart(access.workspace_id);
        const client = clientFor(access, deadline);
        // The day a backfill ended, once over, is settled with Bison's series for the whole day.
        const boundary = await deps.store.backfillBoundaryToSettle(access.workspace_id);
        const { stats, boundaryCounts, replies } = await asWorkspace(
          client,
          access,
          deps.store.withKeyLock,
          async () => ({
            stats: await client.workspaceStats(day, day),
            boundaryCounts: boundary
              ? (await client.dailyCounts(boundary, boundary))[0]
              : undefined,
            // Newest first: once a whole page is older than the window, the rest is too.
            replies: (await client.listInterestedReplies((page) =>
              page.every((reply) =>
                Date.parse(reply.date_received ?? "") < since.getTime()
              )
            )).items.filter((reply) => !(Date.parse(reply.date_received ?? "") < since.getTime())),
          }),
        );
        await deps.store.saveStats(access.workspace_id, day, stats);
        if (
          boundaryCounts &&
          await deps.store.settleBackfillBoundary(access.workspace_id, boundaryCounts)
        ) {
          settled++;
        }
        // Replies never seen arrive as the LEAD_INTERESTED events they stand for (duplicates of
        // stored events change nothing); then stored interest is made to agree with Bison. Like
        // events, neither changes the counters of a day that carries Bison's own numbers.
        for (const reply of replies) {
          await deps.store.ingestEvent(
            access.connection_id,
            interestedEventFromReply(access, reply),
          );
        }
        interested.push({
          workspace_id: access.workspace_id,
          ...await deps.store.reconcileInterested(
            access.workspace_id,
            since,
            replies.map((reply) =>
              reply.id
            ),
          ),
        });
      } catch (error) {
        if (error instanceof BisonDeadlineError) left.push(access.workspace_id);
        else failed.push({ workspace_id: access.workspace_id, error: (error as Error).message });
      }
    }
    return json(200, {
      workspaces: workspaces.length,
      boundary_days_settled: settled,
      failed,
      interested,
      /** Workspaces the run's deadline left for the next reconciliation. */
      left,
    });
  }

  return async (request) => {
    const refused = refuseUnlessCronPost(request, deps.cronSecret);
    if (refused) return refused;
    const route = new URL(request.url).pathname.split("/").filter(Boolean).slice(1).join("/");
    if (!["", "catch-up", "reconcile"].includes(route)) {
      return json(404, { error: `no route ${route}: use /catch-up or /reconcile` });
    }
    const deadline = runDeadline(request);
    try {
      if (route === "") {
        const summary = await deps.store.runChecks();
        const { failed, ...delivery } = await deliverAlerts(deadline);
        await deps.store.recordFunctionRun();
        return json(200, {
          ...summary,
          ...delivery,
          heartbeat: await pingHeartbeat(failed, deadline),
        });
      }
      if (route === "catch-up") {
        const input = await readJsonBody(request, catchUpSchema);
        return "refusal" in input ? input.refusal : await catchUp(input.data, deadline);
      }
      const input = await readJsonBody(request, reconcileSchema);
      return "refusal" in input ? input.refusal : await reconcile(input.data, deadline);
    } catch (error) {
      log({ level: "error", msg: "health run failed", error: (error as Error).message });
      return isDatabaseUnavailable(error)
        ? json(503, { error: "database unavailable, retry later" }, { "retry-after": "30" })
        : json(500, { error: "internal error" });
    }
  };
}
