// The functions' TypeScript keeps no definition of its own: mailbox statuses are grouped, rates
// computed and thresholds set in SQL (docs/metrics.md), and code that reads a threshold from the
// facts does not fall back to a number of its own. A second definition appearing here fails.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { functionsDir } from "./_support/stack.ts";

async function* deployedSources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && entry.name !== "tests") yield* deployedSources(path);
    else if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      yield path;
    }
  }
}

const secondDefinitions: [string, RegExp][] = [
  [
    "a mailbox status compared with a literal",
    /status\W{0,3}\s*(===|!==|==|!=)\s*["'`](connected|disconnected|not connected|failed|removed)/i,
  ],
  ["a rate computed in TypeScript", /[*/]\s*100\b(?!\s*[_a-z])|\b100\s*\*/],
  [
    "a threshold with a fallback of its own",
    /"(burnt_min_emails_sent|burnt_min_sends|burnt_below_reply_rate_pct|typical_low_pct|typical_high_pct|min_sends|baseline_days)"\)\s*\?\?\s*[\d.]/,
  ],
];

Deno.test("no function source defines a business idea a second time", async () => {
  const found: string[] = [];
  for await (const path of deployedSources(functionsDir)) {
    const lines = (await Deno.readTextFile(path)).split("\n");
    lines.forEach((line, index) => {
      for (const [what, pattern] of secondDefinitions) {
        if (pattern.test(line)) found.push(`${relative(functionsDir, path)}:${index + 1}: ${what}`);
      }
    });
  }
  assert.deepEqual(found, []);
});
