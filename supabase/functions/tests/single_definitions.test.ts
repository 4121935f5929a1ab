// The TypeScript keeps no definition of its own: mailbox statuses are grouped, rates computed,
// days worked out and thresholds set in SQL (docs/metrics.md), and code that reads a threshold
// from the facts does not fall back to a number of its own. This reads what functions deploy and
// everything under scripts/ (the CLI, the stack, the benchmarks); the Bison simulator is exempt
// only where it plays Bison (its own statuses and days). Each pattern is proven by probes.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { functionsDir } from "./_support/stack.ts";
import { repoRoot } from "../../../scripts/local/config.ts";

/** Sources that could hold a definition: not tests, not the functions' tests folder. */
async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && entry.name !== "tests") yield* sources(path);
    else if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      yield path;
    }
  }
}

const mailboxStatus = "connected|disconnected|not connected|failed|removed";

interface SecondDefinition {
  what: string;
  /** Matched against a whole file (a match may span lines; comment lines are skipped). */
  pattern: RegExp;
  /** Where the pattern is the simulator playing Bison, not a definition. */
  playsBison?: boolean;
  /** Only in what functions deploy (scripts compute percentages of other things). */
  functionsOnly?: boolean;
  /** Matched against code only: the insides of "..." and '...' strings are blanked first. */
  codeOnly?: boolean;
}

export const secondDefinitions: SecondDefinition[] = [
  {
    what: "a mailbox status compared with a literal",
    pattern: new RegExp(
      `status\\W{0,3}\\s*(===|!==|==|!=)\\s*["'\`](${mailboxStatus})` +
        `|["'\`](connected|disconnected|not connected)["'\`]\\s*(===|!==|==|!=)` +
        `|\\[[^\\]]*["'\`](disconnected|not connected)["'\`][^\\]]*\\]\\s*\\.includes\\(` +
        `|case\\s+["'\`](connected|disconnected|not connected)["'\`]\\s*:`,
      "i",
    ),
    playsBison: true,
  },
  {
    what: "a status normalised and compared",
    pattern:
      /status\??\.(toLowerCase|toUpperCase|toLocaleLowerCase|trim)\(\)(\.\w+\(\))*\s*(===|!==|==|!=|\.startsWith\(|\.includes\()/i,
    playsBison: true,
  },
  {
    what: "a rate computed in TypeScript",
    pattern: /[*/]\s*100\b(?!\s*[_a-z])|\b100\s*\*/,
    functionsOnly: true,
    codeOnly: true,
  },
  {
    what: "a rate computed in TypeScript",
    pattern: new RegExp(
      // a count divided by sends or mailboxes; a count of replies, bounces... made a percentage
      "\\/\\s*\\(?\\s*(\\w+\\.)*\\w*(sent|Sent|sends|Sends|mailboxes|Mailboxes)\\b" +
        "|\\b(\\w+\\.)*\\w*(replies|Replies|interested|Interested|bounce\\w*|Bounce\\w*|" +
        "unsubscribe\\w*|disconnected|Disconnected|burnt|Burnt)\\s*\\)?\\s*\\*\\s*100\\b" +
        "|\\b100\\s*\\*\\s*\\(?\\s*(\\w+\\.)*\\w*(replies|Replies|interested|Interested|" +
        "bounce\\w*|Bounce\\w*|unsubscribe\\w*|disconnected|Disconnected|burnt|Burnt)\\b",
    ),
    codeOnly: true,
  },
  {
    what: "a threshold with a fallback of its own",
    pattern:
      /"(burnt_min_emails_sent|burnt_min_sends|burnt_below_reply_rate_pct|typical_low_pct|typical_high_pct|min_sends|baseline_days|trend_threshold_pct)"\)\s*\?\?\s*[\d.]/,
  },
  {
    what: "a trend threshold written in TypeScript",
    pattern: /change\w*\s*[<>]=?\s*-?\s*0?\.\d+|[<>]=?\s*-?\s*\d+(\.\d+)?\s*\/\s*100\b/,
  },
  {
    what:
      "day arithmetic in TypeScript (the database's private.local_day / reporting_period own it)",
    pattern:
      /\.set(UTC)?Date\(|\.get(UTC)?Date\(\)|Intl\.DateTimeFormat\([^)]*\btimeZone\b|toISOString\(\)\.slice\(0,\s*10\)|(\}|["'`])T00:00:00|86_?400_?000\b|\b864e5\b|24\s*\*\s*60\s*\*\s*60\s*\*\s*1_?000/,
    playsBison: true,
  },
];

const simulatorDir = join(repoRoot, "scripts", "simulator");

/** Where each pattern matches in the text: "<file>:<line>: <what>", once per line. */
export function findSecondDefinitions(path: string, text: string): string[] {
  const found = new Set<string>();
  const simulator = path.startsWith(simulatorDir);
  const deployed = path.startsWith(functionsDir);
  const lines = text.split("\n");
  const code = text.replace(
    /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g,
    (quoted) => quoted[0] + " ".repeat(quoted.length - 2) + quoted[0],
  );
  for (const { what, pattern, playsBison, functionsOnly, codeOnly } of secondDefinitions) {
    if ((simulator && playsBison) || (functionsOnly && !deployed)) continue;
    const read = codeOnly ? code : text;
    for (const match of read.matchAll(new RegExp(pattern.source, pattern.flags + "g"))) {
      const line = read.slice(0, match.index).split("\n").length;
      if (/^\s*(\/\/|\*|\/\*)/.test(lines[line - 1])) continue;
      found.add(`${relative(repoRoot, path)}:${line}: ${what}`);
    }
  }
  return [...found];
}

Deno.test("no function or script defines a business idea a second time", async () => {
  const found: string[] = [];
  for (const dir of [functionsDir, join(repoRoot, "scripts")]) {
    for await (const path of sources(dir)) {
      found.push(...findSecondDefinitions(path, await Deno.readTextFile(path)));
    }
  }
  assert.deepEqual(found, []);
});

Deno.test("probes: each way of defining an idea again is caught", () => {
  const probe = join(repoRoot, "scripts", "bison", "probe.ts");
  const caught = (line: string) =>
    findSecondDefinitions(probe, line).map((hit) => hit.replace(/^.*?: /, ""));
  const status = ["a mailbox status compared with a literal"];
  assert.deepEqual(caught(`if (mailbox.status === "Disconnected") n++;`), status);
  assert.deepEqual(caught(`const down = "not connected" === row.state;`), status);
  assert.deepEqual(caught(`["failed", "disconnected"].includes(s.status)`), status);
  assert.deepEqual(caught(`    case "disconnected":`), status);
  assert.deepEqual(caught(`if (s.status?.toLowerCase() === "paused") continue;`), [
    "a status normalised and compared",
  ]);
  const rate = ["a rate computed in TypeScript"];
  assert.deepEqual(caught(`const rate = replies / emailsSent;`), rate);
  assert.deepEqual(caught(`const share = (row.replies * 100) / row.sends;`), rate);
  assert.deepEqual(caught(`const pct = 100 * interested / total;`), rate);
  assert.deepEqual(
    findSecondDefinitions(join(functionsDir, "probe.ts"), `const pct = (part / whole) * 100;`)
      .map((hit) => hit.replace(/^.*?: /, "")),
    rate,
    "in what functions deploy, any percentage",
  );
  assert.deepEqual(caught(`const pct = disconnected / mailboxes;`), rate);
  assert.deepEqual(caught(`const trend = change > 0.05 ? "up" : "neutral";`), [
    "a trend threshold written in TypeScript",
  ]);
  assert.deepEqual(caught(`if (pct >= 5 / 100) return "up";`), [
    "a trend threshold written in TypeScript",
  ]);
  const day = [
    "day arithmetic in TypeScript (the database's private.local_day / reporting_period own it)",
  ];
  assert.deepEqual(caught(`date.setUTCDate(date.getUTCDate() - 1);`), day);
  assert.deepEqual(
    caught(`new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(now)`),
    day,
  );
  assert.deepEqual(caught(`const today = new Date().toISOString().slice(0, 10);`), day);
  assert.deepEqual(
    caught(
      `const format = new Intl.DateTimeFormat("en-CA", {\n  timeZone,\n  year: "numeric",\n});`,
    ),
    day,
    "an Intl formatter with a time zone, over several lines",
  );
  assert.deepEqual(caught("const start = new Date(`${day}T00:00:00Z`);"), day);
  assert.deepEqual(caught(`const yesterday = Date.now() - 86_400_000;`), day);
  assert.deepEqual(
    caught(`const fallback = num(health, "burnt_min_emails_sent") ?? 200;`),
    ["a threshold with a fallback of its own"],
  );
  // What is not a definition: other outcomes, status groups read as stored, ISO instants.
  assert.deepEqual(caught(`if (check.outcome === "failed") fail();`), []);
  assert.deepEqual(caught(`const n = num(health, "disconnected") ?? 0;`), []);
  assert.deepEqual(caught(`const at = new Date(row.at).toISOString().slice(0, 16);`), []);
  assert.deepEqual(caught(`const p95 = sorted[Math.ceil((95 / 100) * sorted.length) - 1];`), []);
  // The simulator may play Bison's statuses and days, but defines no rate.
  const simulated = join(simulatorDir, "probe.ts");
  assert.deepEqual(findSecondDefinitions(simulated, `status === "connected"`), []);
  assert.equal(findSecondDefinitions(simulated, `const r = replies / sent;`).length, 1);
});
