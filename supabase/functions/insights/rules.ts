// Deterministic insights from the facts, for when no ANTHROPIC_API_KEY is set (offline, tests,
// or a deliberate choice): the same facts, turned into 3-5 insights by fixed rules. Every number
// in the text is copied from the facts it cites.
import type { Fact, Generation, Insight, Trend } from "./types.ts";
import { maxInsights } from "./types.ts";

type Numbers = Record<string, unknown>;

const num = (numbers: Numbers | undefined, key: string): number | null => {
  const value = numbers?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
};

const text = (numbers: Numbers | undefined, key: string): string | null => {
  const value = numbers?.[key];
  return typeof value === "string" && value.length > 0 ? value : null;
};

/** A number as people read it: thousands separated, at most two decimals. */
const show = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: 2 });
const pct = (value: number) => `${show(value)}%`;

/** Up or down when the change is more than 5 % of the earlier value; neutral otherwise. */
export function trendOf(current: number | null, previous: number | null): Trend {
  if (current === null || previous === null) return "neutral";
  if (previous === 0) return current > 0 ? "up" : "neutral";
  const change = (current - previous) / Math.abs(previous);
  if (change > 0.05) return "up";
  if (change < -0.05) return "down";
  return "neutral";
}

function volumeInsight(facts: Map<string, Numbers>, days: number): Insight | null {
  const sends = facts.get("sends");
  if (!sends) return null;
  const current = num(sends, "current") ?? 0;
  const previous = num(sends, "previous") ?? 0;
  const changePct = num(sends, "change_pct");
  const comparison = previous === 0
    ? `none in the ${days} days before`
    : `${show(previous)} in the ${days} days before (${
      changePct !== null && changePct > 0 ? "+" : ""
    }${pct(changePct ?? 0)})`;
  const advice = current === 0 ? " Nothing to analyse until sending resumes." : "";
  return {
    key: "Sending volume",
    value: `${show(current)} emails sent in the last ${days} days, ${comparison}.${advice}`,
    metric: "emails_sent",
    trend: trendOf(current, previous),
    fact_ids: ["sends"],
  };
}

function rateInsight(
  facts: Map<string, Numbers>,
  rateId: "reply_rate" | "interested_rate",
  countId: "replies" | "interested",
  label: string,
  days: number,
): Insight | null {
  const rate = facts.get(rateId);
  if (!rate) return null;
  const current = num(rate, "current_pct");
  const previous = num(rate, "previous_pct");
  const baseline = num(rate, "baseline_90d_pct");
  const low = num(rate, "typical_low_pct");
  const high = num(rate, "typical_high_pct");
  const key = `${label[0].toUpperCase()}${label.slice(1)}`;
  if (current === null) {
    return {
      key,
      value: `No emails were sent in the last ${days} days, so there is no ${label} to judge.`,
      metric: rateId,
      trend: "neutral",
      fact_ids: [rateId],
    };
  }
  const parts = [`${key} ${pct(current)} in the last ${days} days`];
  if (previous !== null) parts.push(`against ${pct(previous)} in the ${days} days before`);
  if (baseline !== null) parts.push(`and ${pct(baseline)} over your 90-day baseline`);
  let sentence = `${parts.join(" ")}.`;
  if (low !== null && high !== null) {
    const position = text(rate, "versus_typical");
    sentence += ` Typical cold email is ${pct(low)}–${pct(high)}`;
    sentence += position === "below"
      ? ": below it, so test new copy or targeting before adding volume."
      : position === "above"
      ? ": above it, so this is worth scaling."
      : ": within it.";
  }
  return {
    key,
    value: sentence,
    metric: rateId,
    trend: trendOf(current, previous ?? baseline),
    fact_ids: facts.has(countId) ? [rateId, countId] : [rateId],
  };
}

function bounceInsight(facts: Map<string, Numbers>, days: number): Insight | null {
  const rate = facts.get("bounce_rate");
  if (!rate || text(rate, "versus_typical") !== "above") return null;
  const current = num(rate, "current_pct")!;
  const high = num(rate, "typical_high_pct");
  const bounces = num(facts.get("bounces"), "current");
  const count = bounces !== null ? ` (${show(bounces)} bounces)` : "";
  return {
    key: "Bounce rate above the safe range",
    value: `${pct(current)} of emails bounced in the last ${days} days${count}, above the ${
      pct(high ?? 2)
    } that keeps sending domains healthy: verify the lead lists and rest the mailboxes that bounce.`,
    metric: "bounce_rate",
    trend: trendOf(current, num(rate, "previous_pct")),
    fact_ids: facts.has("bounces") ? ["bounce_rate", "bounces"] : ["bounce_rate"],
  };
}

function mailboxInsight(facts: Map<string, Numbers>): Insight | null {
  const health = facts.get("mailbox_health");
  const burnt = num(health, "burnt") ?? 0;
  const disconnected = num(health, "disconnected") ?? 0;
  const mailboxes = num(health, "mailboxes") ?? 0;
  if (!health || (burnt === 0 && disconnected === 0)) return null;
  const minSends = num(health, "burnt_min_sends") ?? 200;
  const threshold = num(health, "burnt_below_reply_rate_pct") ?? 0.4;
  const parts: string[] = [];
  if (burnt > 0) {
    parts.push(
      `${show(burnt)} of ${show(mailboxes)} mailboxes look burnt (under ${
        pct(threshold)
      } replies after ${show(minSends)}+ sends)`,
    );
  }
  if (disconnected > 0) {
    parts.push(`${show(disconnected)} of ${show(mailboxes)} are disconnected`);
  }
  return {
    key: "Mailboxes to rest or reconnect",
    value: `${parts.join(" and ")}: rest or replace the burnt ones and reconnect the others.`,
    metric: "mailboxes",
    trend: "neutral",
    fact_ids: ["mailbox_health"],
  };
}

function campaignInsight(facts: Map<string, Numbers>): Insight | null {
  const best = facts.get("best_campaign");
  if (!best) return null;
  const worst = facts.get("worst_campaign");
  const describe = (numbers: Numbers) =>
    `"${text(numbers, "name") ?? `campaign ${num(numbers, "campaign_id")}`}" at ${
      pct(num(numbers, "interested_rate_pct") ?? 0)
    } interested (${show(num(numbers, "interested") ?? 0)} from ${
      show(num(numbers, "sends") ?? 0)
    } sends)`;
  const value = worst
    ? `Best: ${describe(best)}; worst: ${
      describe(worst)
    }. Move volume towards the best and rework or pause the worst.`
    : `Best: ${describe(best)}, the only campaign with enough volume to compare.`;
  return {
    key: "Campaigns by interested rate",
    value,
    metric: "interested_rate",
    trend: "neutral",
    fact_ids: worst ? ["best_campaign", "worst_campaign"] : ["best_campaign"],
  };
}

function timingInsight(facts: Map<string, Numbers>): Insight | null {
  const days = facts.get("reply_days")?.days;
  const hours = facts.get("reply_hours")?.hours;
  const topDay = Array.isArray(days) ? days[0] as Numbers | undefined : undefined;
  const topHour = Array.isArray(hours) ? hours[0] as Numbers | undefined : undefined;
  const parts: string[] = [];
  const cited: string[] = [];
  if (topDay && (num(topDay, "replies") ?? 0) > 0) {
    parts.push(
      `most replies came on ${text(topDay, "weekday")} (${show(num(topDay, "replies") ?? 0)})`,
    );
    cited.push("reply_days");
  }
  if (topHour) {
    const hour = num(topHour, "hour") ?? 0;
    parts.push(
      `the busiest local hour was ${String(hour).padStart(2, "0")}:00 (${
        show(num(topHour, "replies") ?? 0)
      } replies)`,
    );
    cited.push("reply_hours");
  }
  if (parts.length === 0) return null;
  const sentence = parts.join(" and ");
  return {
    key: "When replies arrive",
    value: `${sentence[0].toUpperCase()}${sentence.slice(1)}: schedule follow-ups for then.`,
    metric: "replies",
    trend: "neutral",
    fact_ids: cited,
  };
}

function providerInsight(facts: Map<string, Numbers>): Insight | null {
  const providers = facts.get("provider_mix")?.providers;
  if (!Array.isArray(providers)) return null;
  const rated = (providers as Numbers[]).filter((p) => num(p, "reply_rate_pct") !== null);
  if (rated.length < 2) return null;
  return {
    key: "Replies by mailbox provider",
    value: `Lifetime reply rate by provider: ${
      rated.map((p) =>
        `${text(p, "provider")} ${pct(num(p, "reply_rate_pct")!)} over ${
          show(num(p, "emails_sent") ?? 0)
        } sends`
      ).join(", ")
    }.`,
    metric: "reply_rate",
    trend: "neutral",
    fact_ids: ["provider_mix"],
  };
}

/** 3-5 insights: volume and the two rates always, then the most pressing of the rest. */
export function rulesInsights(facts: Fact[]): Insight[] {
  const byId = new Map(facts.map((fact) => [fact.id, fact.numbers]));
  const days = num(byId.get("period"), "period_days") ?? 14;
  const always = [
    volumeInsight(byId, days),
    rateInsight(byId, "reply_rate", "replies", "reply rate", days),
    rateInsight(byId, "interested_rate", "interested", "interested rate", days),
  ];
  const optional = [
    bounceInsight(byId, days),
    mailboxInsight(byId),
    campaignInsight(byId),
    timingInsight(byId),
    providerInsight(byId),
  ];
  return [...always, ...optional].filter((insight): insight is Insight => insight !== null)
    .slice(0, maxInsights);
}

export const rulesGenerator = (input: { facts: Fact[] }): Promise<Generation> =>
  Promise.resolve({ items: rulesInsights(input.facts), model: null, dropped: 0 });
