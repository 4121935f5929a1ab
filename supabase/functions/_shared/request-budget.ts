// A connection's request budget shared by every process that calls its Bison instance: function
// instances, overlapping runs and the admin CLI alike. The budget itself is a row in the database
// (private.claim_bison_requests, a token bucket); a client claims a few slots at a time and
// spends them locally, so the budget costs one round trip per batch, not per request. Slots not
// spent within a second are let go, so a burst of old claims can never add up past the budget.
import type { RequestBudget } from "./bison-client.ts";
import type { Sql } from "./database.ts";

/** Takes up to `wanted` slots from the shared budget: how many it got, else when to ask again. */
export type ClaimSlots = (wanted: number) => Promise<{ granted: number; retryAfterMs: number }>;

export interface SharedBudgetOptions {
  /** Slots claimed at a time. */
  batch?: number;
  /** How long claimed slots may wait to be spent. */
  slotLifetimeMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A RequestBudget spending slots claimed from a shared budget, a batch at a time. */
export function sharedBudget(claim: ClaimSlots, options: SharedBudgetOptions = {}): RequestBudget {
  const batch = options.batch ?? 10;
  const slotLifetimeMs = options.slotLifetimeMs ?? 1_000;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let slots = 0;
  let claimedAt = -Infinity;
  // One claim at a time: concurrent takers wait for it rather than each asking the database.
  let claiming: Promise<number> | null = null;

  async function refill(): Promise<number> {
    const { granted, retryAfterMs } = await claim(batch);
    if (granted > 0) {
      slots = granted;
      claimedAt = now();
      return 0;
    }
    return Math.max(1, retryAfterMs);
  }

  return {
    async take() {
      while (true) {
        if (slots > 0 && now() - claimedAt < slotLifetimeMs) {
          slots--;
          return;
        }
        slots = 0;
        claiming ??= refill().finally(() => claiming = null);
        const waitMs = await claiming;
        if (waitMs > 0) await sleep(waitMs);
      }
    },
  };
}

/** Claims from the connection's budget row (private.claim_bison_requests). */
export function databaseClaims(sql: Sql, connectionId: string): ClaimSlots {
  return async (wanted) => {
    const [row] = await sql`
      select granted, retry_after_ms
      from private.claim_bison_requests(${connectionId}::uuid, ${wanted}::integer)`;
    return { granted: row.granted, retryAfterMs: row.retry_after_ms };
  };
}

const budgets = new Map<string, RequestBudget>();

/**
 * The budget of a connection (private.claim_bison_requests), one per connection in this process
 * so that its clients spend each claimed batch together.
 */
export function sharedConnectionBudget(sql: Sql, connectionId: string): RequestBudget {
  let budget = budgets.get(connectionId);
  if (!budget) {
    budget = sharedBudget(databaseClaims(sql, connectionId));
    budgets.set(connectionId, budget);
  }
  return budget;
}
