// Private channel authorization, as Realtime's Authorization module does it: RLS on
// realtime.messages decides. Read: in a transaction, a probe row for the topic is inserted (as the
// connection's own role), the caller's role, claims and realtime.topic are set, and the probe is
// selected back; visible means allowed. Write: with the same settings, the caller inserts a probe
// itself; a row-level security refusal means not allowed. Both roll back, so nothing is kept.
import type postgres from "postgres";
import type { JwtClaims } from "../jwt.ts";

export interface AuthorizationContext {
  topic: string;
  claims: JwtClaims;
  /** The upgrade request's headers, as Realtime passes them in request.headers. */
  headers: Record<string, string>;
}

export type AuthorizationError =
  /** The check itself failed (a policy raised, an unknown role): Realtime refuses the topic. */
  | { kind: "policy_error"; error: Error }
  /** No partition of realtime.messages takes today's probe. */
  | { kind: "missing_partition" }
  | { kind: "database_unavailable"; error: Error };

export type AuthorizationResult =
  | { ok: true; allowed: boolean }
  | ({ ok: false } & AuthorizationError);

class Rollback extends Error {}

async function setConfig(tx: postgres.TransactionSql, context: AuthorizationContext) {
  const role = String(context.claims.role ?? "");
  const sub = context.claims.sub === undefined ? null : String(context.claims.sub);
  await tx`select
    pg_catalog.set_config('role', ${role}, true),
    pg_catalog.set_config('realtime.topic', ${context.topic}, true),
    pg_catalog.set_config('request.jwt.claims', ${JSON.stringify(context.claims)}, true),
    pg_catalog.set_config('request.jwt.claim.sub', ${sub}, true),
    pg_catalog.set_config('request.jwt.claim.role', ${role}, true),
    pg_catalog.set_config('request.headers', ${JSON.stringify(context.headers)}, true)`;
}

// Realtime stamps probes with the current UTC time (its Message changeset), which picks the
// partition: without one for today, the insert fails as it does on hosted.
const insertProbe = (tx: postgres.TransactionSql, id: string, topic: string) =>
  tx`insert into realtime.messages (id, topic, extension, inserted_at, updated_at)
     values (${id}, ${topic}, 'broadcast', now() at time zone 'utc', now() at time zone 'utc')`;

function classify(error: unknown): AuthorizationResult {
  const pgError = error as { code?: string; table_name?: string };
  if (pgError.code === "23514" && pgError.table_name?.startsWith("messages")) {
    return { ok: false, kind: "missing_partition" };
  }
  if (typeof pgError.code === "string") {
    return { ok: false, kind: "policy_error", error: error as Error };
  }
  return { ok: false, kind: "database_unavailable", error: error as Error };
}

/** Runs body in a transaction that is always rolled back, and returns what body returned. */
export async function rolledBack<T>(
  sql: postgres.Sql,
  body: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      result = await body(tx);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return result as T;
}

/** May the caller receive broadcasts on the topic (SELECT policies on realtime.messages)? */
export async function canRead(
  sql: postgres.Sql,
  context: AuthorizationContext,
): Promise<AuthorizationResult> {
  try {
    const allowed = await rolledBack(sql, async (tx) => {
      const probe = crypto.randomUUID();
      await insertProbe(tx, probe, context.topic);
      await setConfig(tx, context);
      const rows = await tx`select id from realtime.messages where id = ${probe}`;
      return rows.length === 1;
    });
    return { ok: true, allowed };
  } catch (error) {
    return classify(error);
  }
}

/** May the caller send broadcasts on the topic (INSERT policies on realtime.messages)? */
export async function canWrite(
  sql: postgres.Sql,
  context: AuthorizationContext,
): Promise<AuthorizationResult> {
  try {
    const allowed = await rolledBack(sql, async (tx) => {
      await setConfig(tx, context);
      try {
        await tx.savepoint((sp) => insertProbe(sp, crypto.randomUUID(), context.topic));
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === "42501") return false;
        throw error;
      }
    });
    return { ok: true, allowed };
  } catch (error) {
    return classify(error);
  }
}
