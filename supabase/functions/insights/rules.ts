// Deterministic insights from the facts, for when no ANTHROPIC_API_KEY is set (offline, tests,
// or a deliberate choice): the same facts, turned into 3-5 insights by fixed rules. Every number
// in the text is copied from the facts it cites, every period is named by its bounds (the period
// fact), and advice only names what the facts show (burnt or disconnected mailboxes). No
// threshold is written here: the facts carry the ones the database used, and each volume and
// rate its trend (private.insight_trend, insight_trend_threshold_pct).
import type { Fact, Generation, Insight, Trend } from "./types.ts";
import { maxInsights, trends } from "./types.ts";
import { keepGrounded } from "./grounding.ts";

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

/** The trend the fact states (neutral when it states none). */
const trendOf = (numbers: Numbers | undefined): Trend => {
  const value = text(numbers, "trend");
  return (trends as readonly string[]).includes(value ?? "") ? value as Trend : "neutral";
};

/** How a sentence names the period: its days and bounds, as the period fact states them. */
interface Period {
  days: number;
  /** "in the 14 days from 2026-11-09 to 2026-11-22 (today so far included)" */
  within: string;
  /** "in the 14 days before" */
  before: string;
}

function periodOf(facts: Map<string, Numbers>): Period {
  const period = facts.get("period");
  const days = num(period, "period_days") ?? 0;
  const start = text(period, "start");
  const last = text(period, "last_day");
  const today = period?.includes_today === true ? " (today so far included)" : "";
  const span = days === 1 ? "the day" : `the ${show(days)} days`;
  return {
    days,
    within: start && last
      ? days === 1 ? `on ${start}${today}` : `in ${span} from ${start} to ${last}${today}`
      : `in ${span} of the period`,
    before: `in ${days === 1 ? "the day" : `the ${show(days)} days`} before`,
  };
}

/** The facts a sentence naming the period cites. */
const withPeriod = (ids: string[], facts: Map<string, Numbers>) =>
  facts.has("period") ? [...ids, "period"] : ids;

function volumeInsight(facts: Map<string, Numbers>, period: Period): Insight | null {
  const sends = facts.get("sends");
  if (!sends) return null;
  const current = num(sends, "current") ?? 0;
  const previous = num(sends, "previous") ?? 0;
  const changePct = num(sends, "change_pct");
  const comparison = previous === 0
    ? `none ${period.before}`
    : `${show(previous)} ${period.before} (${changePct !== null && changePct > 0 ? "+" : ""}${
      pct(changePct ?? 0)
    })`;
  const advice = current === 0 ? " Nothing to analyse until sending resumes." : "";
  return {
    key: "Sending volume",
    value: `${show(current)} emails sent ${period.within}, ${comparison}.${advice}`,
    metric: "emails_sent",
    trend: trendOf(sends),
    fact_ids: withPeriod(["sends"], facts),
  };
}

function rateInsight(
  facts: Map<string, Numbers>,
  rateId: "reply_rate" | "interested_rate",
  countId: "replies" | "interested",
  label: string,
  period: Period,
): Insight | null {
  const rate = facts.get(rateId);
  if (!rate) return null;
  const current = num(rate, "current_pct");
  const previous = num(rate, "previous_pct");
  const baseline = num(rate, "baseline_90d_pct");
  const low = num(rate, "typical_low_pct");
  const high = num(rate, "typical_high_pct");
  const baselineDays = num(facts.get("period"), "baseline_days");
  const key = `${label[0].toUpperCase()}${label.slice(1)}`;
  if (current === null) {
    return {
      key,
      value: `No emails were sent ${period.within}, so there is no ${label} to judge.`,
      metric: rateId,
      trend: "neutral",
      fact_ids: withPeriod([rateId], facts),
    };
  }
  const parts = [`${key} ${pct(current)} ${period.within}`];
  if (previous !== null) parts.push(`against ${pct(previous)} ${period.before}`);
  if (baseline !== null) {
    parts.push(
      baselineDays !== null
        ? `and ${pct(baseline)} over the ${show(baselineDays)} days before those`
        : `and ${pct(baseline)} over your baseline`,
    );
  }
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
    trend: trendOf(rate),
    fact_ids: withPeriod(facts.has(countId) ? [rateId, countId] : [rateId], facts),
  };
}

function bounceInsight(facts: Map<string, Numbers>, period: Period): Insight | null {
  const rate = facts.get("bounce_rate");
  const current = num(rate, "current_pct");
  const high = num(rate, "typical_high_pct");
  if (text(rate, "versus_typical") !== "above" || current === null || high === null) return null;
  const bounces = num(facts.get("bounces"), "current");
  const count = bounces !== null ? ` (${show(bounces)} bounces)` : "";
  return {
    key: "Bounce rate above the safe range",
    value: `${pct(current)} of emails bounced ${period.within}${count}, above the ${
      pct(high)
    } that keeps sending domains healthy: verify the lead lists and rest the mailboxes that bounce.`,
    metric: "bounce_rate",
    trend: trendOf(rate),
    fact_ids: withPeriod(
      facts.has("bounces") ? ["bounce_rate", "bounces"] : ["bounce_rate"],
      facts,
    ),
  };
}

function mailboxInsight(facts: Map<string, Numbers>): Insight | null {
  const health = facts.get("mailbox_health");
  const burnt = num(health, "burnt") ?? 0;
  const disconnected = num(health, "disconnected") ?? 0;
  const mailboxes = num(health, "mailboxes") ?? 0;
  if (!health || (burnt === 0 && disconnected === 0)) return null;
  const minSends = num(health, "burnt_min_emails_sent");
  const belowPct = num(health, "burnt_below_reply_rate_pct");
  const parts: string[] = [];
  const advice: string[] = [];
  if (burnt > 0) {
    const rule = minSends !== null && belowPct !== null
      ? ` (under ${pct(belowPct)} unique replies after ${show(minSends)}+ sends, lifetime)`
      : "";
    parts.push(`${show(burnt)} of ${show(mailboxes)} mailboxes are burnt${rule}`);
    advice.push(disconnected > 0 ? "rest or replace the burnt ones" : "rest or replace them");
  }
  if (disconnected > 0) {
    parts.push(
      `${show(disconnected)} of ${show(mailboxes)} ${
        burnt > 0 ? "are" : "mailboxes are"
      } disconnected`,
    );
    advice.push(burnt > 0 ? "reconnect the disconnected ones" : "reconnect them");
  }
  const sentence = `${parts.join(" and ")}: ${advice.join(" and ")}.`;
  return {
    key: burnt > 0 && disconnected > 0
      ? "Mailboxes to rest and reconnect"
      : burnt > 0
      ? "Burnt mailboxes to rest"
      : "Disconnected mailboxes to reconnect",
    value: `${sentence[0].toUpperCase()}${sentence.slice(1)}`,
    metric: "mailboxes",
    trend: "neutral",
    fact_ids: ["mailbox_health"],
  };
}

function campaignInsight(facts: Map<string, Numbers>, period: Period): Insight | null {
  const best = facts.get("best_campaign");
  if (!best) return null;
  const worst = facts.get("worst_campaign");
  const describe = (numbers: Numbers) =>
    `"${text(numbers, "name") ?? `campaign ${num(numbers, "campaign_id")}`}" at ${
      pct(num(numbers, "interested_rate_pct") ?? 0)
    } interested (${show(num(numbers, "interested") ?? 0)} from ${
      show(num(numbers, "sends") ?? 0)
    } sends)`;
  const within = `${period.within[0].toUpperCase()}${period.within.slice(1)}`;
  const value = worst
    ? `${within}, best: ${describe(best)}; worst: ${
      describe(worst)
    }. Move volume towards the best and rework or pause the worst.`
    : `${within}, best: ${describe(best)}, the only campaign with enough volume to compare.`;
  return {
    key: "Campaigns by interested rate",
    value,
    metric: "interested_rate",
    trend: "neutral",
    fact_ids: withPeriod(worst ? ["best_campaign", "worst_campaign"] : ["best_campaign"], facts),
  };
}

function timingInsight(facts: Map<string, Numbers>, period: Period): Insight | null {
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
  const within = `${period.within[0].toUpperCase()}${period.within.slice(1)}`;
  return {
    key: "When replies arrive",
    value: `${within}, ${parts.join(" and ")}: schedule follow-ups for then.`,
    metric: "replies",
    trend: "neutral",
    fact_ids: withPeriod(cited, facts),
  };
}

function providerInsight(facts: Map<string, Numbers>): Insight | null {
  const providers = facts.get("provider_mix")?.providers;
  if (!Array.isArray(providers)) return null;
  const rated = (providers as Numbers[]).filter((p) => num(p, "reply_rate_pct") !== null);
  if (rated.length < 2) return null;
  return {
    key: "Replies by mailbox provider",
    value: `Lifetime unique reply rate by mailbox provider: ${
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
  const period = periodOf(byId);
  const always = [
    volumeInsight(byId, period),
    rateInsight(byId, "reply_rate", "replies", "reply rate", period),
    rateInsight(byId, "interested_rate", "interested", "interested rate", period),
  ];
  const optional = [
    bounceInsight(byId, period),
    mailboxInsight(byId),
    campaignInsight(byId, period),
    timingInsight(byId, period),
    providerInsight(byId),
  ];
  return [...always, ...optional].filter((insight): insight is Insight => insight !== null)
    .slice(0, maxInsights);
}

/** The rules' insights, checked like Claude's: one that its facts do not hold is dropped. */
export const rulesGenerator = (input: { facts: Fact[] }): Promise<Generation> =>
  Promise.resolve({ ...keepGrounded(rulesInsights(input.facts), input.facts), model: null });
