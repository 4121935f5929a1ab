// The flush store backed by private.flush_coalesced_broadcasts (migration
// coalesce_metric_broadcasts): one statement, one transaction, per flush.
import type { Sql } from "../_shared/database.ts";
import type { FlushStore } from "./handler.ts";

export function databaseFlushStore(sql: Sql): FlushStore {
  return {
    async flush() {
      const [row] = await sql<{ sent: number; next_due_at: Date | null }[]>`
        select sent, next_due_at from private.flush_coalesced_broadcasts()`;
      return { sent: row.sent, nextDueAt: row.next_due_at };
    },
  };
}
