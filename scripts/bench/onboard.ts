// Onboarding benchmark: the simulator with 30 workspaces answering every request in 190 ms (a real
// instance's pace), onboarded by `bison onboard` from one super-admin key on the bench stack, as an
// operator would run it: keys minted, webhooks registered and proven by a test delivery through
// the functions gateway, history backfilled. Prints the wall time, the requests Bison answered and
// the sequential lower bound they imply.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/onboard.ts [--workspaces 30]
//     [--latency-ms 190] [--concurrency 8] [--earlier-days 30]
import { parseArgs } from "node:util";
import postgres from "postgres";
import { positiveOption, startBenchStack } from "./bench-stack.ts";
import { runBisonCli } from "../local/bison-cli.ts";
import { startBisonSimulator } from "../simulator/bison-simulator.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    workspaces: { type: "string", default: "30" },
    "latency-ms": { type: "string", default: "190" },
    concurrency: { type: "string", default: "8" },
    "earlier-days": { type: "string", default: "30" },
  },
});
const workspaceCount = positiveOption("workspaces", values.workspaces!);
const latencyMs = Number(values["latency-ms"]);
const superAdminKey = "bench-super-admin-key-0123456789";

const simulator = startBisonSimulator({
  superAdminKey,
  latencyMs,
  workspaces: Array.from({ length: workspaceCount }, (_, index) => ({
    id: index + 1,
    name: `Client ${index + 1}`,
    apiKey: `bench-unknown-key-${index + 1}`,
    mailboxes: [],
  })),
});
const bench = await startBenchStack();
const sql = postgres(bench.databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
const env = { SUPABASE_DB_URL: bench.databaseUrl, SUPABASE_FUNCTIONS_URL: bench.functionsUrl };
let exitCode = 0;
try {
  const connected = await runBisonCli([
    "connect",
    "--name",
    "bench",
    "--base-url",
    simulator.url,
    "--timezone",
    "America/Chicago",
    "--allow-private-address",
  ], env);
  if (connected.code !== 0) throw new Error(`connect failed: ${connected.stderr}`);
  const before = simulator.requests.length;
  console.error(
    `bench: onboarding ${workspaceCount} workspaces at ${latencyMs} ms a request ` +
      `(concurrency ${values.concurrency})...`,
  );
  const started = performance.now();
  const run = await runBisonCli([
    "onboard",
    "--connection",
    "bench",
    "--concurrency",
    values.concurrency!,
    "--earlier-days",
    values["earlier-days"]!,
  ], { ...env, BISON_API_KEY: superAdminKey });
  const wallSeconds = (performance.now() - started) / 1000;
  const summary = run.result as Record<string, unknown> | null;
  if (run.code !== 0 || !summary) throw new Error(`onboard failed (${run.code}): ${run.stderr}`);

  const requests = simulator.requests.slice(before);
  const byPath = new Map<string, number>();
  for (const request of requests) {
    const path = request.path.replace(/\/\d+(?=\/|$)/g, "/{id}");
    byPath.set(`${request.method} ${path}`, (byPath.get(`${request.method} ${path}`) ?? 0) + 1);
  }
  const [stored] = await sql`
    select (select count(*)::int from private.workspace_api_keys) as keys,
           (select count(*)::int from private.webhook_subscriptions
            where verified_at is not null) as verified,
           (select count(*)::int from public.workspace_daily_metrics) as days`;
  const correct = summary.workspaces === workspaceCount &&
    summary.keys_created === workspaceCount && summary.webhooks_registered === workspaceCount &&
    summary.webhooks_verified === workspaceCount && stored.keys === workspaceCount &&
    stored.verified === workspaceCount && (summary.failed as unknown[]).length === 0 &&
    simulator.workspaces.every((workspace) => workspace.webhooks!.length === 1);

  const rows = [
    ["workspaces onboarded", `${summary.workspaces}`],
    [
      "keys minted / webhooks registered",
      `${summary.keys_created} / ${summary.webhooks_registered}`,
    ],
    ["test deliveries arrived", `${summary.webhooks_verified}`],
    ["days backfilled", `${summary.days_backfilled} (${stored.days} day rows)`],
    [
      "requests to Bison",
      `${requests.length} (${(requests.length / workspaceCount).toFixed(1)} a workspace)`,
    ],
    ["sequential lower bound", `${(requests.length * latencyMs / 1000).toFixed(1)} s`],
    ["wall time of `bison onboard`", `${wallSeconds.toFixed(1)} s (process start to exit)`],
    ["of which onboarding itself", `${(Number(summary.duration_ms) / 1000).toFixed(1)} s`],
  ];
  console.log(
    `\nOnboarding benchmark (${latencyMs} ms a request, concurrency ${values.concurrency})`,
  );
  for (const [name, value] of rows) console.log(`  ${name.padEnd(36)} ${value}`);
  console.log("  requests by endpoint:");
  for (const [path, count] of [...byPath].sort((a, b) => b[1] - a[1])) {
    console.log(`    ${String(count).padStart(4)}  ${path}`);
  }
  if (!correct) {
    console.log("  the result is WRONG: " + JSON.stringify({ summary, stored }));
    exitCode = 1;
  }
} finally {
  await sql.end();
  await bench.close();
  await simulator.close();
}
Deno.exit(exitCode);
