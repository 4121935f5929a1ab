// POST /insights/generate: insights about a workspace or a campaign, grounded in its stored
// numbers. The function verifies its caller itself (verify_jwt = false: the platform's check does
// not understand the asymmetric keys user tokens are signed with): a signed-in user's token,
// verified through Supabase Auth, and the database gathers the facts under its claims (RLS
// decides: a non-member gets 403). The cron secret is accepted too, for scheduled generation,
// which acts as the service role. One generation per workspace per minute (429 + Retry-After).
import { z } from "zod";
import { hasValidCronSecret } from "../_shared/cron-auth.ts";
import { isDatabaseUnavailable } from "../_shared/database.ts";
import { BodyTooLarge, json, readBodyLimited } from "../_shared/http.ts";
import type { UserTokenVerifier } from "../_shared/user-token.ts";
import { rulesGenerator } from "./rules.ts";
import { type Fact, type Generator, type Insight, ModelError } from "./types.ts";

export const maxBodyBytes = 16 * 1024;
export const defaultPeriodDays = 14;

/** Who is asking: a signed-in user (reads run under their claims) or a service caller. */
export type Caller =
  | { kind: "user"; userId: string; claims: Record<string, unknown> }
  | { kind: "service" };

export interface GenerateRequest {
  workspaceId?: number;
  campaignId?: number;
  periodDays: number;
}

export type Prepared =
  | {
    outcome: "ready";
    workspaceId: number;
    campaignId: number | null;
    periodStart: string;
    periodEnd: string;
    facts: Fact[];
  }
  | { outcome: "forbidden" }
  | { outcome: "not_found" }
  | { outcome: "rate_limited"; retryAfterSeconds: number };

export interface NewInsights {
  workspaceId: number;
  campaignId: number | null;
  periodDays: number;
  periodStart: string;
  periodEnd: string;
  source: "claude" | "rules";
  model: string | null;
  items: Insight[];
  facts: Fact[];
  requestedBy: string | null;
}

export interface InsightsStore {
  /**
   * Under the caller's identity: checks the caller may read the scope, claims the workspace's
   * generation slot (the rate limit), then gathers the facts.
   */
  prepare(caller: Caller, request: GenerateRequest): Promise<Prepared>;
  /** Stores the insights (which broadcasts them) and returns the stored row. */
  save(insights: NewInsights): Promise<Record<string, unknown>>;
}

export interface InsightsDeps {
  store: InsightsStore;
  /** Verifies a bearer token as a signed-in user's (supabase-js getClaims in production). */
  verifyUser: UserTokenVerifier;
  /** CRON_SECRET; scheduled calls send it in x-cron-secret. */
  cronSecret?: string;
  /** Claude, when ANTHROPIC_API_KEY is set; the deterministic rules otherwise. */
  claude?: Generator;
  log?: (entry: Record<string, unknown>) => void;
}

const positiveId = (name: string) =>
  z.number({ error: `${name} must be a number` }).int({ error: `${name} must be an integer` })
    .positive({ error: `${name} must be positive` }).max(Number.MAX_SAFE_INTEGER);

const bodySchema = z.strictObject({
  workspace_id: positiveId("workspace_id").optional(),
  campaign_id: positiveId("campaign_id").optional(),
  period_days: z.number({ error: "period_days must be a number" })
    .int({ error: "period_days must be a whole number of days" })
    .min(1, { error: "period_days must be between 1 and 90" })
    .max(90, { error: "period_days must be between 1 and 90" })
    .default(defaultPeriodDays),
}, {
  error: (issue) => issue.code === "invalid_type" ? "the body must be a JSON object" : undefined,
}).refine(
  (body) => (body.workspace_id === undefined) !== (body.campaign_id === undefined),
  { error: 'give exactly one of "workspace_id" or "campaign_id"' },
);

const corsHeaders = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type",
  "access-control-allow-methods": "POST, OPTIONS",
};

const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  json(status, body, { ...corsHeaders, ...headers });

/** The caller, or why there is none: a refused token is 401, Auth out of reach is 503. */
export async function callerOf(
  request: Request,
  cronSecret: string | undefined,
  verifyUser: UserTokenVerifier,
): Promise<Caller | { refused: "unauthenticated" | "unavailable"; reason: string }> {
  if (hasValidCronSecret(request, cronSecret)) return { kind: "service" };
  const token = (request.headers.get("authorization") ?? "").match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return { refused: "unauthenticated", reason: "no bearer token" };
  const verified = await verifyUser(token);
  switch (verified.outcome) {
    case "user":
      return { kind: "user", userId: verified.userId, claims: verified.claims };
    case "unavailable":
      return { refused: "unavailable", reason: verified.reason };
    default:
      return { refused: "unauthenticated", reason: verified.reason };
  }
}

export function createInsightsHandler(deps: InsightsDeps): (request: Request) => Promise<Response> {
  const log = deps.log ?? ((entry) => console.error(JSON.stringify(entry)));

  return async (request) => {
    const segments = new URL(request.url).pathname.split("/").filter(Boolean);
    // The hosted runtime hands the path as /insights/<route>.
    if (segments.length !== 2 || segments[1] !== "generate") {
      return reply(404, { error: "not found: use POST /insights/generate" });
    }
    if (request.method === "OPTIONS") return new Response(null, { headers: corsHeaders });
    if (request.method !== "POST") {
      return reply(405, { error: "method not allowed: use POST" }, { allow: "POST, OPTIONS" });
    }

    const caller = await callerOf(request, deps.cronSecret, deps.verifyUser);
    if ("refused" in caller) {
      log({ level: "info", msg: "caller refused", reason: caller.reason });
      if (caller.refused === "unavailable") {
        return reply(503, { error: "could not verify the token, retry later" }, {
          "retry-after": "5",
        });
      }
      return reply(401, {
        error: "sign in: insights need a signed-in user's token (or the cron secret)",
      });
    }

    let body: z.infer<typeof bodySchema>;
    try {
      const text = await readBodyLimited(request, maxBodyBytes);
      let parsedJson: unknown;
      try {
        parsedJson = JSON.parse(text);
      } catch {
        return reply(400, { error: "the body is not valid JSON" });
      }
      const parsed = bodySchema.safeParse(parsedJson);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
        return reply(400, { error: `${where}${issue.message}` });
      }
      body = parsed.data;
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return reply(413, { error: `the body is larger than ${maxBodyBytes / 1024} KiB` });
      }
      throw error;
    }

    try {
      const prepared = await deps.store.prepare(caller, {
        workspaceId: body.workspace_id,
        campaignId: body.campaign_id,
        periodDays: body.period_days,
      });
      const scope = body.campaign_id !== undefined ? "campaign" : "workspace";
      switch (prepared.outcome) {
        case "forbidden":
          return reply(403, {
            error: scope === "campaign"
              ? "you are not a member of this campaign's workspace"
              : "you are not a member of this workspace",
          });
        case "not_found":
          return reply(404, { error: `no such ${scope}` });
        case "rate_limited":
          return reply(429, {
            error: "insights were generated for this workspace less than a minute ago",
            retry_after_seconds: prepared.retryAfterSeconds,
          }, { "retry-after": String(prepared.retryAfterSeconds) });
      }

      const generator = deps.claude ?? rulesGenerator;
      let generation;
      try {
        generation = await generator({ facts: prepared.facts });
      } catch (error) {
        if (error instanceof ModelError) {
          log({
            level: "error",
            msg: "insight generation failed",
            reason: error.reason,
            workspace_id: prepared.workspaceId,
          });
          return reply(502, { error: error.message });
        }
        log({ level: "error", msg: "insight generator crashed", error: (error as Error).message });
        return reply(500, { error: "internal error" });
      }
      if (generation.dropped.unknown_fact || generation.dropped.ungrounded) {
        // Counts only: never the insight's text or the facts.
        log({
          level: "warn",
          msg: "dropped insights their facts do not hold",
          ...generation.dropped,
          source: deps.claude ? "claude" : "rules",
          workspace_id: prepared.workspaceId,
        });
      }

      const stored = await deps.store.save({
        workspaceId: prepared.workspaceId,
        campaignId: prepared.campaignId,
        periodDays: body.period_days,
        periodStart: prepared.periodStart,
        periodEnd: prepared.periodEnd,
        source: deps.claude ? "claude" : "rules",
        model: deps.claude ? generation.model : null,
        items: generation.items,
        facts: prepared.facts,
        requestedBy: caller.kind === "user" ? caller.userId : null,
      });
      return reply(201, stored);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        log({ level: "error", msg: "database unavailable", error: (error as Error).message });
        return reply(503, { error: "temporarily unavailable, retry later" }, {
          "retry-after": "5",
        });
      }
      log({ level: "error", msg: "insight generation failed", error: (error as Error).message });
      return reply(500, { error: "internal error" });
    }
  };
}
