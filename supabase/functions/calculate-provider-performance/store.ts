// The provider performance store backed by the SQL functions of migration
// create_provider_performance_calculation. Every call is one statement, so each connection's day
// is computed in a transaction of its own.
import type { Sql } from "../_shared/database.ts";
import type { ProviderPerformanceStore, Target } from "./handler.ts";

interface TargetRow {
  connection_id: string;
  day: string;
}

const toTargets = (rows: readonly TargetRow[]): Target[] =>
  rows.map((row) => ({ connectionId: row.connection_id, day: row.day }));

export function databaseProviderPerformanceStore(sql: Sql): ProviderPerformanceStore {
  return {
    async due(asOf) {
      return toTargets(
        await sql<TargetRow[]>`
          select connection_id::text, day::text
          from private.provider_performance_due(${asOf}::timestamptz)`,
      );
    },
    async targets({ connectionId, day }, asOf) {
      return toTargets(
        await sql<TargetRow[]>`
          select c.id::text as connection_id,
                 coalesce(${day ?? null}::date,
                          (${asOf}::timestamptz at time zone c.timezone)::date - 1)::text as day
          from public.bison_connections c
          where ${connectionId ?? null}::uuid is null or c.id = ${connectionId ?? null}::uuid
          order by c.id`,
      );
    },
    async calculate({ connectionId, day }, asOf) {
      const [row] = await sql<{ rows_written: number }[]>`
        select private.calculate_provider_performance(
          ${connectionId}::uuid, ${day}::date, ${asOf}::timestamptz) as rows_written`;
      return row.rows_written;
    },
  };
}
