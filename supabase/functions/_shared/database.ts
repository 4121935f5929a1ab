// Service work talks to Postgres through the project's transaction pooler (DB_POOLER_URL:
// Supavisor's transaction mode on hosted Supabase, PgBouncer locally), never over the direct
// SUPABASE_DB_URL, which would give every function instance connections of its own under a burst.
// A transaction pooler hands a server connection to a client for one transaction only, so nothing
// here keeps session state: no prepared statements, no session `set` or startup parameters, no
// session advisory locks; what must hold across statements lives in one transaction.
import postgres from "postgres";
import { sha256Hex } from "./http.ts";

export type Sql = postgres.Sql;

/** Connections per function instance when DB_POOL_SIZE does not say otherwise. */
const defaultPoolSize = 2;

export function connectDatabase(applicationName: string, databaseUrl?: string): Sql {
  const url = databaseUrl ?? Deno.env.get("DB_POOLER_URL");
  if (!url) {
    throw new Error(
      "DB_POOLER_URL is not set: functions reach the database through the project's transaction " +
        "pooler (README, Deploy)",
    );
  }
  return postgres(url, {
    prepare: false,
    max: Number(Deno.env.get("DB_POOL_SIZE") ?? defaultPoolSize),
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
}

/** How long a caller with a deadline of its own (Bison gives a webhook 15 s) waits for a query. */
export const queryDeadlineMs = 10_000;

/**
 * Answers the query or cancels it after `ms`, whether it is still waiting for a connection (ours
 * or the pooler's) or running: postgres.js sends PostgreSQL's cancel request, which PgBouncer and
 * Supavisor pass on. A cancelled query fails with 57014, as a statement timeout would; a
 * statement_timeout set per session would not survive a transaction pooler.
 */
export async function withDeadline<Query extends postgres.PendingQuery<postgres.Row[]>>(
  query: Query,
  ms = queryDeadlineMs,
): Promise<Awaited<Query>> {
  const timer = setTimeout(() => query.cancel(), ms);
  try {
    return await query;
  } finally {
    clearTimeout(timer);
  }
}

/** Per pool: how many key locks may hold a connection at once (all but one of the pool's). */
const lockPermits = new WeakMap<Sql, { free: number; waiting: (() => void)[] }>();

async function withLockPermit<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
  let permits = lockPermits.get(sql);
  if (!permits) {
    permits = { free: Math.max(1, Number(sql.options.max) - 1), waiting: [] };
    lockPermits.set(sql, permits);
  }
  const held = permits;
  if (held.free > 0) held.free--;
  else await new Promise<void>((resolve) => held.waiting.push(resolve));
  try {
    return await work();
  } finally {
    const next = held.waiting.shift();
    if (next) next();
    else held.free++;
  }
}

/**
 * Runs work while holding a lock on this API key that every run shares, whatever process or
 * instance it is in: a transaction-scoped advisory lock, held by a transaction that stays open
 * while the work runs and ends (releasing the lock) when it is done or its connection is lost.
 * The transaction ties up one pooled connection; at most all but one of the pool's connections
 * hold or wait for key locks, so the work's own queries always find a connection. The key itself
 * is only hashed.
 */
export function withKeyLock<T>(sql: Sql, apiKey: string, work: () => Promise<T>): Promise<T> {
  const lockKey = sha256Hex(apiKey);
  return withLockPermit(sql, async () => {
    let result: T;
    await sql.begin(async (tx) => {
      // Waiting for another run's switch-and-fetch may take longer than a statement may.
      await tx`set local statement_timeout = 0`;
      await tx`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`;
      result = await work();
    });
    return result!;
  });
}

/**
 * True for errors that say the database could not be reached or is shutting down, as opposed to
 * an error in what we asked of it: the caller should answer 503 so the sender retries.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: string };
  if (typeof code !== "string") return true;
  return /^(08|53|57P)/.test(code) ||
    [
      "ECONNREFUSED",
      "ECONNRESET",
      "CONNECT_TIMEOUT",
      "CONNECTION_CLOSED",
      "CONNECTION_ENDED",
      "CONNECTION_DESTROYED",
      "ETIMEDOUT",
    ].includes(code);
}
