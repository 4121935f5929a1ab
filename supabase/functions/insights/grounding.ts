// Whether an insight says only what the facts it cites say: every number, date and hour it writes
// is one of those facts' values (as people write them), every fact it cites exists, and what it
// says about burnt or disconnected mailboxes and about today is what those facts say. Checked on
// every generation, Claude's and the rules' alike, before anything is stored: an insight that
// fails is dropped and counted, never shown.
import type { Fact, Insight } from "./types.ts";

const show = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: 2 });

/** Every way a value of the facts may appear in a sentence. */
function writtenForms(value: unknown, into: Set<string>) {
  if (typeof value === "number" && Number.isFinite(value)) {
    for (const n of [value, Math.abs(value)]) {
      into.add(show(n));
      into.add(String(n));
      // 2.4 may be written 2.40, 5 as 5.0: the same value with its decimals shown.
      for (const digits of [1, 2]) {
        into.add(n.toFixed(digits));
        into.add(n.toLocaleString("en-US", { minimumFractionDigits: digits }));
      }
    }
    if (Number.isInteger(value) && value >= 0 && value < 24) {
      into.add(`${String(value).padStart(2, "0")}:00`);
    }
  } else if (typeof value === "string") {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) writtenForms(item, into);
  } else if (value && typeof value === "object") {
    for (const item of Object.values(value)) writtenForms(item, into);
  }
}

/** What in an insight's text is not grounded in the facts it cites (empty when all is). */
export function ungrounded(insight: Insight, facts: Fact[]): string[] {
  const cited = facts.filter((fact) => insight.fact_ids.includes(fact.id));
  const allowed = new Set<string>();
  for (const fact of cited) writtenForms(fact.numbers, allowed);
  const problems: string[] = [];
  for (const id of insight.fact_ids) {
    if (!facts.some((fact) => fact.id === id)) problems.push(`cites unknown fact ${id}`);
  }
  let rest = insight.value;
  for (
    const pattern of [
      /\d{4}-\d{2}-\d{2}/g,
      /\b\d{2}:00\b/g,
      // A number, not the digits of a name such as Q4 or k1.
      /(?<![A-Za-z_])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)/g,
    ]
  ) {
    for (const token of rest.match(pattern) ?? []) {
      if (!allowed.has(token)) problems.push(`"${token}" is in no cited fact`);
    }
    rest = rest.replace(pattern, " ");
  }
  const cite = (id: string) => cited.find((fact) => fact.id === id)?.numbers;
  const health = cite("mailbox_health");
  if (/burnt/i.test(insight.value) && !((health?.burnt as number) > 0)) {
    problems.push("speaks of burnt mailboxes without a cited fact counting any");
  }
  if (/disconnected|reconnect/i.test(insight.value) && !((health?.disconnected as number) > 0)) {
    problems.push("speaks of disconnected mailboxes without a cited fact counting any");
  }
  if (/today/i.test(insight.value) && cite("period")?.includes_today !== true) {
    problems.push("speaks of today without a cited period that includes it");
  }
  return problems;
}

/** Why insights were dropped before storing, counted. */
export interface Dropped {
  /** Cited a fact that does not exist. */
  unknown_fact: number;
  /** Wrote a number, date or claim its cited facts do not hold. */
  ungrounded: number;
}

/** The insights that say only what their facts say, and how many were dropped and why. */
export function keepGrounded(
  items: Insight[],
  facts: Fact[],
): { items: Insight[]; dropped: Dropped } {
  const known = new Set(facts.map((fact) => fact.id));
  const dropped: Dropped = { unknown_fact: 0, ungrounded: 0 };
  const kept = items.filter((item) => {
    if (!item.fact_ids.every((id) => known.has(id))) dropped.unknown_fact++;
    else if (ungrounded(item, facts).length) dropped.ungrounded++;
    else return true;
    return false;
  });
  return { items: kept, dropped };
}
