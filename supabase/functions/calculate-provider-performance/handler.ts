// POST /calculate-provider-performance: called every hour by pg_cron (through
// private.invoke_edge_function) and by operators, both with the cron secret. Without a body it
// computes the connections whose local day has just ended; {connection_id?, day?} recomputes a
// given day (every connection's, or one connection's local yesterday). Each connection's day is
// computed in SQL, set-based, in a transaction of its own, so one failure never loses the others.
import { z } from "zod";
import { refuseUnlessCronPost } from "../_shared/cron-auth.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";

/** A connection and one of its local days (YYYY-MM-DD). */
export interface Target {
  connectionId: string;
  day: string;
}

export interface ProviderPerformanceStore {
  /** The connections whose local day ended last and has not been computed yet, as of asOf. */
  due(asOf: Date): Promise<Target[]>;
  /**
   * The given connection (every connection when none is given) with the given day, or with its
   * local yesterday as of asOf. Empty when the connection does not exist.
   */
  targets(request: { connectionId?: string; day?: string }, asOf: Date): Promise<Target[]>;
  /** Computes and replaces one connection's day; returns the rows written. */
  calculate(target: Target, asOf: Date): Promise<number>;
}

export interface ProviderPerformanceHandlerDeps {
  cronSecret: string | undefined;
  store: ProviderPerformanceStore;
  now?: () => Date;
  log?: (entry: Record<string, unknown>) => void;
}

export interface TargetResult {
  connection_id: string;
  day: string;
  rows_written?: number;
  error?: string;
}

const maxBodyBytes = 16 * 1024;

const bodySchema = z.object({
  connection_id: z.guid("must be a UUID").optional(),
  day: z.iso.date("must be a calendar date (YYYY-MM-DD)").optional(),
}).strict();

/** SQLSTATEs the SQL functions raise for a request they cannot serve (not a server fault). */
const badRequestCodes = new Set(["22023", "P0002"]);

const sqlState = (error: unknown) => (error as { code?: unknown })?.code;

export function createProviderPerformanceHandler(
  deps: ProviderPerformanceHandlerDeps,
): (request: Request) => Promise<Response> {
  const log = deps.log ?? ((entry) => console.error(JSON.stringify(entry)));
  const now = deps.now ?? (() => new Date());
  return async (request) => {
    const refused = refuseUnlessCronPost(request, deps.cronSecret);
    if (refused) return refused;
    const options = await readJsonBody(request, bodySchema, maxBodyBytes);
    if ("refusal" in options) return options.refusal;
    const { connection_id: connectionId, day } = options.data;
    const explicit = connectionId !== undefined || day !== undefined;

    const started = performance.now();
    const asOf = now();
    let targets: Target[];
    try {
      targets = explicit
        ? await deps.store.targets({ connectionId, day }, asOf)
        : await deps.store.due(asOf);
    } catch (error) {
      log({ level: "error", msg: "listing connections failed", error: (error as Error).message });
      return isDatabaseUnavailable(error)
        ? json(503, { error: "database unavailable, retry later" }, { "retry-after": "60" })
        : json(500, { error: "internal error" });
    }
    if (connectionId !== undefined && targets.length === 0) {
      return json(404, { error: `no connection with id ${connectionId}` });
    }

    const results: TargetResult[] = [];
    const failures: unknown[] = [];
    for (const target of targets) {
      const result: TargetResult = { connection_id: target.connectionId, day: target.day };
      try {
        result.rows_written = await deps.store.calculate(target, asOf);
      } catch (error) {
        failures.push(error);
        // The SQL functions' own refusals say what is wrong and hold no secret; anything else
        // is logged, not echoed.
        result.error = badRequestCodes.has(String(sqlState(error)))
          ? (error as Error).message
          : "internal error";
        log({
          level: "error",
          msg: "provider performance failed",
          connection_id: target.connectionId,
          day: target.day,
          code: sqlState(error),
          error: (error as Error).message,
        });
      }
      results.push(result);
    }

    const summary = {
      connections: targets.length,
      rows_written: results.reduce((sum, result) => sum + (result.rows_written ?? 0), 0),
      failed: failures.length,
      duration_ms: Math.round(performance.now() - started),
      results,
    };
    log({
      level: failures.length ? "error" : "info",
      msg: "provider performance finished",
      connections: summary.connections,
      rows_written: summary.rows_written,
      failed: summary.failed,
      duration_ms: summary.duration_ms,
    });
    if (failures.some(isDatabaseUnavailable)) {
      return json(503, summary, { "retry-after": "60" });
    }
    if (failures.length === 0) return json(200, summary);
    const allBadRequests = failures.every((error) => badRequestCodes.has(String(sqlState(error))));
    return json(explicit && allBadRequests ? 400 : 500, summary);
  };
}
