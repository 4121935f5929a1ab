// POST /poll-sender-emails: called by pg_cron (through private.invoke_edge_function) and by
// operators (`bison poll`), both with the cron secret; anything else is refused. Answers with the
// run's summary once it is done.
import { z } from "zod";
import { refuseUnlessCronPost } from "../_shared/cron-auth.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";
import type { BisonClient } from "../_shared/bison-client.ts";
import { pollDueWorkspaces, type PollStore } from "./poller.ts";

export interface PollHandlerDeps {
  cronSecret: string | undefined;
  store: PollStore;
  clientFor: (baseUrl: string, apiKey: string, requestsPerMinute?: number) => BisonClient;
  defaultBudgetMs: number;
  defaultConcurrency: number;
  log?: (entry: Record<string, unknown>) => void;
}

const bodySchema = z.object({
  budget_ms: z.number().int().min(1000).max(600_000).optional(),
  concurrency: z.number().int().min(1).max(50).optional(),
}).strict();

export function createPollHandler(deps: PollHandlerDeps): (request: Request) => Promise<Response> {
  const log = deps.log ?? ((entry) => console.error(JSON.stringify(entry)));
  return async (request) => {
    const refused = refuseUnlessCronPost(request, deps.cronSecret);
    if (refused) return refused;
    const options = await readJsonBody(request, bodySchema);
    if ("refusal" in options) return options.refusal;
    try {
      const summary = await pollDueWorkspaces({
        store: deps.store,
        clientFor: deps.clientFor,
        budgetMs: options.data.budget_ms ?? deps.defaultBudgetMs,
        concurrency: options.data.concurrency ?? deps.defaultConcurrency,
      });
      log({
        level: "info",
        msg: "poll finished",
        ...summary,
        failed: summary.failed.length,
        held: summary.held.length,
      });
      return json(200, summary);
    } catch (error) {
      log({ level: "error", msg: "poll failed", error: (error as Error).message });
      return isDatabaseUnavailable(error)
        ? json(503, { error: "database unavailable, retry later" }, { "retry-after": "30" })
        : json(500, { error: "internal error" });
    }
  };
}
