// What the insights function works with: facts (aggregates from public.workspace_insight_facts),
// insights (what is stored and shown), and the error a model failure becomes.
import { z } from "zod";
import type { Dropped } from "./grounding.ts";

/** One row of public.workspace_insight_facts: an id an insight can cite, and its numbers. */
export interface Fact {
  id: string;
  kind: string;
  numbers: Record<string, unknown>;
}

export const trends = ["up", "down", "neutral"] as const;
export type Trend = typeof trends[number];

export interface Insight {
  /** A short headline. */
  key: string;
  /** The finding, with its numbers, and what to do about it. */
  value: string;
  /** The metric it is about, e.g. reply_rate. */
  metric: string;
  /** Which way the metric moved (against the previous period or the baseline). */
  trend: Trend;
  /** The facts it is grounded in; every one must exist. */
  fact_ids: string[];
}

export const minInsights = 3;
export const maxInsights = 5;

export const insightSchema = z.object({
  key: z.string().trim().min(1).max(120),
  value: z.string().trim().min(1).max(600),
  metric: z.string().trim().min(1).max(60),
  trend: z.enum(trends),
  fact_ids: z.array(z.string().min(1).max(60)).min(1).max(10),
});

/** What a generator is given: the facts, and nothing else about the workspace. */
export interface GenerationInput {
  facts: Fact[];
}

export interface Generation {
  items: Insight[];
  /** The model that answered; null for the deterministic rules. */
  model: string | null;
  /** Insights dropped before storing because their facts do not hold what they say (grounding.ts). */
  dropped: Dropped;
}

export type Generator = (input: GenerationInput) => Promise<Generation>;

/**
 * The model could not give a usable answer: its answers were malformed, it stayed unavailable
 * (overloaded, rate limited, unreachable) after the retries, or it refused the request. The
 * message is safe to show (it never contains the API key, the prompt or the answer).
 */
export class ModelError extends Error {
  constructor(
    readonly reason: "malformed" | "unavailable" | "rejected",
    message: string,
  ) {
    super(message);
    this.name = "ModelError";
  }
}
