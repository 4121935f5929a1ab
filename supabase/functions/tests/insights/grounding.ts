// Checks an insight's sentence against the facts it cites: every number, date and hour it
// writes must be one of those facts' values as the rules format them, and what it says about
// mailboxes and today must be what those facts say. Used by the rules' tests and by the test of
// the rules on facts the database computed.
import type { Fact, Insight } from "../../insights/types.ts";

const show = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: 2 });

/** Every way a value of the facts may appear in a sentence. */
function writtenForms(value: unknown, into: Set<string>) {
  if (typeof value === "number" && Number.isFinite(value)) {
    for (const n of [value, Math.abs(value)]) {
      into.add(show(n));
      into.add(String(n));
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
      /\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g,
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
