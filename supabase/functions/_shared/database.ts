// Service work talks to Postgres directly over SUPABASE_DB_URL (the platform provides it): small
// pool, no prepared statements (Supavisor's transaction mode cannot keep them), bounded waits so a
// caller with its own deadline (Bison gives webhooks 15 s) always gets an answer.
import postgres from "postgres";

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
