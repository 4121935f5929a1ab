// The insights store on Postgres. Facts are read in one transaction that runs as the caller:
// `set local role authenticated` with the caller's JWT claims (so RLS decides what is visible),
// or as service_role for scheduled generation. Only the rate-limit claim runs as the connection's
// own role (the database owner), because no API role may touch it. Insights are stored by the
// owner: members cannot write them.
import type { Sql } from "../_shared/database.ts";
import type { Fact } from "./types.ts";
import type { Caller, InsightsStore, Prepared } from "./handler.ts";

interface FactRow {
  id: string;
  kind: string;
  numbers: Record<string, unknown>;
}

export function databaseInsightsStore(sql: Sql): InsightsStore {
  return {
    async prepare(caller: Caller, request): Promise<Prepared> {
      const claims = caller.kind === "user" ? caller.claims : { role: "service_role" };
      const role = caller.kind === "user" ? "authenticated" : "service_role";
      try {
        return await sql.begin(async (tx) => {
          await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
          await tx.unsafe(`set local role ${role}`);
          const [scope] = request.campaignId !== undefined
            ? await tx`
                select c.workspace_id::text as workspace_id, c.id::text as campaign_id
                from public.campaigns c where c.id = ${request.campaignId}`
            : await tx`
                select w.id::text as workspace_id, null as campaign_id
                from public.workspaces w where w.id = ${request.workspaceId ?? null}`;
          if (!scope) {
            return { outcome: caller.kind === "user" ? "forbidden" : "not_found" } as const;
          }

          await tx`set local role none`;
          const [{ wait }] = await tx`
            select private.claim_insight_generation(${scope.workspace_id}::bigint) as wait`;
          if (wait > 0) return { outcome: "rate_limited", retryAfterSeconds: wait } as const;

          await tx.unsafe(`set local role ${role}`);
          const rows = await tx<FactRow[]>`
            select f.fact_id as id, f.kind, f.numbers
            from public.workspace_insight_facts(
              ${scope.workspace_id}::bigint, ${scope.campaign_id}::bigint,
              ${request.periodDays}::integer
            ) with ordinality as f(fact_id, kind, numbers, n)
            order by f.n`;
          const facts: Fact[] = rows.map(({ id, kind, numbers }) => ({ id, kind, numbers }));
          const period = facts.find((fact) => fact.id === "period")?.numbers ?? {};
          return {
            outcome: "ready",
            workspaceId: Number(scope.workspace_id),
            campaignId: scope.campaign_id === null ? null : Number(scope.campaign_id),
            periodStart: String(period.start),
            periodEnd: String(period.end_exclusive),
            facts,
          } as const;
        });
      } catch (error) {
        // The scope became invisible between the check and the facts (membership revoked).
        if ((error as { code?: string }).code === "42501") {
          return { outcome: caller.kind === "user" ? "forbidden" : "not_found" };
        }
        throw error;
      }
    },

    async save(insights) {
      const [row] = await sql`
        insert into public.insights (
          workspace_id, campaign_id, period_days, period_start, period_end, source, model,
          items, facts, requested_by
        ) values (
          ${insights.workspaceId}, ${insights.campaignId}, ${insights.periodDays},
          ${insights.periodStart}::date, ${insights.periodEnd}::date, ${insights.source},
          ${insights.model}, ${sql.json(insights.items as never)},
          ${sql.json(insights.facts as never)}, ${insights.requestedBy}::uuid
        )
        returning to_jsonb(insights.*) as stored`;
      return row.stored as Record<string, unknown>;
    },
  };
}
