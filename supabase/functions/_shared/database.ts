// Service work talks to Postgres directly over SUPABASE_DB_URL (the platform provides it): small
// pool, no prepared statements (Supavisor's transaction mode cannot keep them), bounded waits so a
// caller with its own deadline (Bison gives webhooks 15 s) always gets an answer.
import postgres from "postgres";
import { sha256Hex } from "./http.ts";

export type Sql = postgres.Sql;

export function connectDatabase(applicationName: string, databaseUrl?: string): Sql {
  const url = databaseUrl ?? Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set");
  return postgres(url, {
    prepare: false,
    max: Number(Deno.env.get("DB_POOL_SIZE") ?? "8"),
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: applicationName, statement_timeout: 10_000 },
  });
}

/**
 * Runs work while holding a lock on this API key that every run shares, whatever process it is
 * in: a session-level advisory lock on a connection of its own. The key itself is only hashed.
 */
export async function withKeyLock<T>(sql: Sql, apiKey: string, work: () => Promise<T>): Promise<T> {
  const lockKey = sha256Hex(apiKey);
  const reserved = await sql.reserve();
  try {
    // Waiting for another run's switch-and-fetch may take longer than a statement may.
    await reserved`set statement_timeout = 0`;
    try {
      await reserved`select pg_advisory_lock(hashtextextended(${lockKey}, 0))`;
      try {
        return await work();
      } finally {
        await reserved`select pg_advisory_unlock(hashtextextended(${lockKey}, 0))`;
      }
    } finally {
      await reserved`reset statement_timeout`;
    }
  } finally {
    reserved.release();
  }
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
