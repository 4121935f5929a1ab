// POST /flush-broadcasts, cron secret only: pg_cron calls it every minute and it runs until just
// after the next call starts, sending the trailing edge of every coalesced Realtime broadcast
// (private.flush_coalesced_broadcasts) as soon as its topic's interval has passed. pg_cron here is
// minute-granular and hosted's accepts seconds, so the loop lives in a function that covers the
// minute and works the same on both. Body: {"seconds": n} to run n seconds instead.
import { z } from "zod";
import { refuseUnlessCronPost } from "../_shared/cron-auth.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";
import { runDeadline } from "../_shared/run-deadline.ts";

export interface FlushStore {
  /** Sends what is due; when the next pending message is due (null: nothing pending). */
  flush(): Promise<{ sent: number; nextDueAt: Date | null }>;
}

export interface FlushDeps {
  cronSecret: string | undefined;
  store: FlushStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (entry: Record<string, unknown>) => void;
}

/** How long to wait between flushes when nothing is pending. */
export const idlePollMs = 200;
/** The shortest wait, for a message due now that a writer still holds. */
const minimumWaitMs = 20;
/** Past the next minute: the next call has started before this one stops, so nothing waits. */
const overlapMs = 2_000;

const bodySchema = z.object({ seconds: z.number().min(0).max(62).optional() })
  .strict();

/** The run's end: the next whole minute plus the overlap, unless the body gives a length. */
export function runUntil(startedAt: number, seconds?: number): number {
  if (seconds !== undefined) return startedAt + seconds * 1000;
  return Math.ceil((startedAt + 1) / 60_000) * 60_000 + overlapMs;
}

export function createFlushHandler(
  deps: FlushDeps,
): (request: Request) => Promise<Response> {
  const now = deps.now ?? (() => Date.now());
  const sleep = deps.sleep ??
    ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const log = deps.log ?? ((entry) => console.error(JSON.stringify(entry)));
  return async (request) => {
    const refused = refuseUnlessCronPost(request, deps.cronSecret);
    if (refused) return refused;
    const options = await readJsonBody(request, bodySchema);
    if ("refusal" in options) return options.refusal;
    const started = now();
    // Never past the caller's timeout (run-deadline.ts), whatever the minute says.
    const deadline = Math.min(
      runUntil(started, options.data.seconds),
      runDeadline(request, { now }).at,
    );
    let flushes = 0;
    let sent = 0;
    try {
      do {
        const result = await deps.store.flush();
        flushes++;
        sent += result.sent;
        const untilDue = result.nextDueAt === null ? idlePollMs : Math.max(
          minimumWaitMs,
          Math.min(idlePollMs, result.nextDueAt.getTime() - now()),
        );
        const left = deadline - now();
        if (left <= 0) break;
        await sleep(Math.min(untilDue, left));
      } while (now() < deadline);
    } catch (error) {
      log({
        level: "error",
        msg: "flush failed",
        error: (error as Error).message,
        flushes,
        sent,
      });
      return isDatabaseUnavailable(error)
        ? json(503, { error: "database unavailable, retry later" }, {
          "retry-after": "5",
        })
        : json(500, { error: "internal error" });
    }
    return json(200, {
      flushes,
      sent,
      duration_ms: Math.round(now() - started),
    });
  };
}
