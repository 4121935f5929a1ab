// POST /check-webhook-subscriptions, cron secret only (pg_cron every 10 minutes, or an operator):
// every workspace's webhook subscription in Bison is compared with what its connection needs and
// repaired where it differs (registered again, updated with PUT, duplicates removed). Outcomes
// are recorded per workspace; repairs are queued for Slack once. Body: {connection_id?,
// workspace_id?} to check fewer. The run ends before its caller's timeout (run-deadline.ts):
// workspaces it had no time for are left for the next run and listed in `left`.
import { z } from "zod";
import { refuseUnlessCronPost } from "../_shared/cron-auth.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";
import type { BisonClient } from "../_shared/bison-client.ts";
import {
  checkWebhookSubscriptions,
  type SubscriptionTarget,
} from "../_shared/webhook-subscriptions.ts";
import type { DatabaseSubscriptionStore } from "../_shared/webhook-subscription-store.ts";
import { runDeadline } from "../_shared/run-deadline.ts";

export interface CheckWebhooksDeps {
  cronSecret: string | undefined;
  store: DatabaseSubscriptionStore;
  /** A client for the target's workspace whose requests end at the run's deadline (signal). */
  clientFor: (target: SubscriptionTarget, signal: AbortSignal) => BisonClient;
  concurrency?: number;
  log?: (entry: Record<string, unknown>) => void;
}

const bodySchema = z.object({
  connection_id: z.uuid().optional(),
  workspace_id: z.number().int().positive().optional(),
}).strict();

export function createCheckWebhooksHandler(
  deps: CheckWebhooksDeps,
): (request: Request) => Promise<Response> {
  const log = deps.log ?? ((entry) => console.error(JSON.stringify(entry)));
  return async (request) => {
    const refused = refuseUnlessCronPost(request, deps.cronSecret);
    if (refused) return refused;
    const deadline = runDeadline(request);
    const input = await readJsonBody(request, bodySchema);
    if ("refusal" in input) return input.refusal;
    try {
      const targets = await deps.store.targets(
        input.data.connection_id ?? null,
        input.data.workspace_id ?? null,
      );
      const checks = await checkWebhookSubscriptions(targets, {
        store: deps.store,
        clientFor: (target) => deps.clientFor(target, deadline.signal),
        concurrency: deps.concurrency,
        deadline,
      });
      const checked = new Set(checks.map((check) => check.workspace_id));
      const announced = await deps.store.announceRepairs();
      const summary = {
        workspaces: checks.length,
        ok: checks.filter((check) => check.outcome === "ok").length,
        repaired: checks.filter((check) => check.outcome === "repaired")
          .map(({ workspace_id, detail }) => ({ workspace_id, detail })),
        failed: checks.filter((check) => check.outcome === "failed")
          .map(({ workspace_id, detail }) => ({ workspace_id, error: detail })),
        repairs_announced: announced,
        /** Workspaces the run's deadline left for the next run. */
        left: targets.filter((target) => !checked.has(target.workspace_id))
          .map(({ workspace_id }) => workspace_id),
      };
      log({
        level: "info",
        msg: "webhook subscriptions checked",
        workspaces: summary.workspaces,
        repaired: summary.repaired.length,
        failed: summary.failed.length,
        left: summary.left.length,
      });
      return json(200, summary);
    } catch (error) {
      log({ level: "error", msg: "webhook check failed", error: (error as Error).message });
      return isDatabaseUnavailable(error)
        ? json(503, { error: "database unavailable, retry later" }, { "retry-after": "30" })
        : json(500, { error: "internal error" });
    }
  };
}
