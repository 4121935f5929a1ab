// POST /poll-sender-emails: called by pg_cron every minute and by the slice before it (both
// through private.invoke_edge_function), and by operators (`bison poll`), all with the cron
// secret; anything else is refused. Runs one slice (poller.ts) and answers with its summary.
// Body (all optional): {"budget_ms": ..., "max_pages": ..., "concurrency": ...}.
import { z } from "zod";
import { refuseUnlessCronPost } from "../_shared/cron-auth.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";
import { runDeadline } from "../_shared/run-deadline.ts";
import { type ClientFactory, pollSlice, type PollStore } from "./poller.ts";

export interface PollHandlerDeps {
  cronSecret: string | undefined;
  store: PollStore;
  clientFor: ClientFactory;
  defaultBudgetMs: number;
  defaultMaxPages: number;
  defaultConcurrency: number;
  /** No page is asked for once no more than this is left before the run's deadline. */
  graceMs?: number;
  /** A page not answered within this counts as unanswered. */
  pageTimeoutMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

/** The longest budget a body may ask for: with the grace, under pg_net's 60 s for the call. */
export const maxBudgetMs = 40_000;

const bodySchema = z.object({
  budget_ms: z.number().int().min(1000).max(maxBudgetMs).optional(),
  max_pages: z.number().int().min(1).max(5000).optional(),
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
      const summary = await pollSlice({
        store: deps.store,
        clientFor: deps.clientFor,
        deadline: runDeadline(request),
        budgetMs: options.data.budget_ms ?? deps.defaultBudgetMs,
        graceMs: deps.graceMs ?? 10_000,
        maxPages: options.data.max_pages ?? deps.defaultMaxPages,
        concurrency: options.data.concurrency ?? deps.defaultConcurrency,
        pageTimeoutMs: deps.pageTimeoutMs,
      });
      log({
        level: "info",
        msg: "poll slice finished",
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
