// Function limits benchmark: every edge function (and route) at the benchmarks' scales, measured
// in its own process, beside what hosted Supabase allows one invocation: 2 s of CPU, 256 MB of
// memory, 150 s of wall time (free plan). The target is under half of each.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/function-limits.ts [--deliveries 1000]
//     [--heap-mb 256]
//
// The data is the other benchmarks', built by their own code:
// - health.ts's agency (35 workspaces, 17,136 mailboxes, 30 days of snapshots and webhook
//   traffic, a day of cron history; its first day is yesterday in Chicago): check-system-health,
//   calculate-provider-performance (that day, both connections in one call) and
//   insights/generate (the deterministic rules: no ANTHROPIC_API_KEY);
// - poll.ts's simulated Bison (35 workspaces, 17,136 mailboxes, 190 ms a page), on a fresh
//   database: poll-sender-emails as pg_cron calls it, slice after slice until no slice queues
//   another (the worst slice reported), then check-system-health/reconcile (every workspace),
//   check-webhook-subscriptions (every workspace) and check-system-health/catch-up (one
//   workspace);
// - webhook.ts's traffic generator: --deliveries deliveries, one after another, averaged; then
//   flush-broadcasts as its cron job calls it (it runs until just after the next minute).
//
// --heap-mb gives every function the V8 heap of a hosted isolate with that memory limit (256: the
// free plan's): old generation capped, young generation as small as V8 makes it for such a limit
// (process-usage.ts, hostedHeapEnv). Garbage is then collected before the process grows, and a
// function that needed more would fail instead of being measured. Without it, functions run with
// Deno's defaults, whose young generation grows and stays grown.
//
// How it measures: the gateway reports each function worker's pid; around each invocation this
// reads the worker's /proc/<pid>/stat (user + system CPU of every thread of the process), resets
// its peak RSS through /proc/<pid>/clear_refs and reads it back from /proc/<pid>/status (VmHWM).
// Each worker is started and its modules loaded by a refused call first, so start-up is not
// counted. The RSS is the whole Deno process (the runtime included), so it overstates what the
// hosted isolate is charged; CPU includes the runtime's own threads (compiler, GC) likewise.
//
// Human progress goes to stderr, the table to stdout. Exit 1 when an invocation fails or its answer
// shows the work was not done; a missed target is reported, never enforced.
import { parseArgs } from "node:util";
import postgres from "postgres";
import { roleKey } from "../local/config.ts";
import { hostedHeapEnv, hostedLimits, measured, type Usage } from "./process-usage.ts";
import { callerTimeoutHeader } from "../../supabase/functions/_shared/run-deadline.ts";
import { positiveOption, runBenchmark, startBenchStack } from "./bench-stack.ts";
import { healthBenchEventsPerHour, seedHealthAgency } from "./health.ts";
import { pollBenchScale, registerPollAgency, startPollAgency } from "./poll.ts";
import { bisonReportsEndOf } from "./provider-performance.ts";
import { connectBison, generateTraffic, recentLocalDays } from "./webhook.ts";

interface Measurement {
  label: string;
  scale: string;
  cpuMs: number;
  peakRssMb: number;
  wallMs: number;
  /** The pg_net timeout of the cron job that calls it, when one does. */
  callerTimeoutMs?: number;
  /** False when the peak could not be reset: it is then the worker's lifetime peak. */
  peakReset: boolean;
}

/** What an answer should say; returns what is wrong with it, if anything. */
// deno-lint-ignore no-explicit-any
type Expectation = (body: any) => string | undefined;

/** One row of the table: which worker, how to call it, what its answer must say. */
interface Invocation {
  label: string;
  scale: string;
  functionName: string;
  invoke: () => Promise<Response>;
  expect: Expectation;
  /** Invocations in a row, averaged (default 1). */
  times?: number;
  /**
   * Invocations in a row until this says the work is done (each answer given in turn), the worst
   * of them reported: a job done in slices. expect then judges every answer at once.
   */
  // deno-lint-ignore no-explicit-any
  sliceUntil?: (body: any) => boolean;
  /** The function route a cron job calls with this, to show that job's pg_net timeout. */
  cronPath?: string;
}

const problems: string[] = [];
const measurements: Measurement[] = [];
const workerPids = new Map<string, number>();
const onWorker = (name: string, pid: number) => workerPids.set(name, pid);

/**
 * Runs the invocation (`times` in a row) against the already started worker of its function and
 * records the CPU and wall time per invocation and the peak RSS over them. Every answer must be a
 * 2xx that `expect` accepts: a benchmark of work not done measures nothing.
 */
async function measure(invocation: Invocation, cronTimeouts: Map<string, number>) {
  const { functionName, times = 1 } = invocation;
  const pid = workerPids.get(functionName);
  if (!pid) {
    throw new Error(`${functionName} has no worker: did the gateway refuse the warm-up call?`);
  }
  const answers: { status: number; body: string }[] = [];
  const usages: Usage[] = [];
  const call = async () => {
    const response = await invocation.invoke();
    const answer = { status: response.status, body: await response.text() };
    answers.push(answer);
    return answer;
  };
  if (invocation.sliceUntil) {
    // Each slice measured on its own; the worst of each figure reported.
    for (let slice = 0; slice < 1000; slice++) {
      const [answer, usage] = await measured(pid, call);
      usages.push(usage);
      let done = true;
      try {
        done = answer.status >= 300 || invocation.sliceUntil(JSON.parse(answer.body));
      } catch { /* not JSON: judged below */ }
      if (done) break;
    }
  } else {
    const [, usage] = await measured(pid, async () => {
      for (let i = 0; i < times; i++) await call();
    });
    usages.push({ ...usage, cpuMs: usage.cpuMs / times, wallMs: usage.wallMs / times });
  }
  if (workerPids.get(functionName) !== pid) {
    throw new Error(`${functionName}'s worker restarted during the measurement`);
  }
  for (const { status, body } of answers) {
    let problem = status >= 200 && status < 300 ? undefined : `answered ${status}`;
    try {
      problem ??= invocation.sliceUntil ? undefined : invocation.expect(JSON.parse(body));
    } catch {
      problem ??= "answered something other than JSON";
    }
    if (problem) {
      problems.push(`${invocation.label}: ${problem}: ${body.slice(0, 300)}`);
      break;
    }
  }
  if (invocation.sliceUntil) {
    const problem = invocation.expect(answers.map(({ body }) => JSON.parse(body)));
    if (problem) problems.push(`${invocation.label}: ${problem}`);
  }
  console.error(`  answer: ${answers[answers.length - 1].body.slice(0, 200)}`);
  measurements.push({
    label: invocation.label + (usages.length > 1 ? ` (worst of ${usages.length} slices)` : ""),
    scale: invocation.scale,
    cpuMs: Math.max(...usages.map((usage) => usage.cpuMs)),
    peakRssMb: Math.max(...usages.map((usage) => usage.peakRssMb)),
    wallMs: Math.max(...usages.map((usage) => usage.wallMs)),
    peakReset: usages.every((usage) => usage.peakReset),
    callerTimeoutMs: invocation.cronPath ? cronTimeouts.get(invocation.cronPath) : undefined,
  });
}

/**
 * Starts a function's worker and loads its modules with a call its handler refuses (no
 * credentials; every function here has verify_jwt = false and checks its callers itself).
 */
async function warmUp(functionsUrl: string, functionName: string) {
  const response = await fetch(`${functionsUrl}/${functionName}`, { method: "POST", body: "{}" });
  await response.body?.cancel();
  if (response.status >= 500) throw new Error(`${functionName} did not start: ${response.status}`);
}

/** The pg_net timeout (ms) each cron job gives the function route it calls. */
async function readCronTimeouts(sql: postgres.Sql): Promise<Map<string, number>> {
  const jobs = await sql<{ command: string }[]>`select command from cron.job`;
  const timeouts = new Map<string, number>();
  for (const { command } of jobs) {
    for (
      const [, path, ms] of command.matchAll(
        /invoke_edge_function\('([^']+)',\s*'[^']*'::jsonb,\s*(\d+)\)/g,
      )
    ) timeouts.set(path, Number(ms));
  }
  return timeouts;
}

type Bench = Awaited<ReturnType<typeof startBenchStack>>;

/** The pg_net timeout of each route's cron job, read by measureAll before anything is called. */
let cronTimeouts = new Map<string, number>();

/**
 * Calls a route with the cron secret and, when its cron job has one, the caller-timeout header,
 * as pg_cron's jobs do through private.invoke_edge_function (their body: `body`).
 */
function cronCall(bench: Bench, path: string, body: unknown) {
  return () => {
    const timeoutMs = cronTimeouts.get(path);
    return fetch(`${bench.functionsUrl}/${path}`, {
      method: "POST",
      headers: {
        "x-cron-secret": bench.cronSecret,
        "content-type": "application/json",
        ...(timeoutMs === undefined ? {} : { [callerTimeoutHeader]: String(timeoutMs) }),
      },
      body: JSON.stringify(body),
    });
  };
}

/** Measures the invocations in order, each on a started worker with its modules loaded. */
async function measureAll(bench: Bench, sql: postgres.Sql, invocations: Invocation[]) {
  const timeouts = await readCronTimeouts(sql);
  cronTimeouts = timeouts;
  for (const invocation of invocations) {
    console.error(`• ${invocation.label}: ${invocation.scale}`);
    await warmUp(bench.functionsUrl, invocation.functionName);
    await measure(invocation, timeouts);
  }
}

/** Phase 1: the health benchmark's agency. */
async function onHealthAgency(functionEnv: Record<string, string>) {
  const bench = await startBenchStack(functionEnv, { onWorker });
  const sql = postgres(bench.databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    // The day the hourly job computes just after local midnight: yesterday, in Chicago (the first
    // connection's zone; New York's yesterday too, except in the hour between their midnights).
    const [{ day }] = await sql`
      select ((now() at time zone 'America/Chicago')::date - 1)::text as day`;
    const events = await seedHealthAgency(sql, bench.stack, healthBenchEventsPerHour, day);
    await bisonReportsEndOf(sql, day);
    const [{ id: workspaceId }] =
      await sql`select id::int from public.workspaces order by id limit 1`;
    const anonKey = await roleKey("anon");
    await measureAll(bench, sql, [{
      label: "check-system-health",
      scale: `35 workspaces, 17,136 mailboxes, ${events.toLocaleString("en")} events`,
      functionName: "check-system-health",
      cronPath: "check-system-health",
      invoke: cronCall(bench, "check-system-health", {}),
      expect: (body) => body.checks >= 35 ? undefined : "fewer checks than workspaces",
    }, {
      label: "calculate-provider-performance",
      scale: "a day of 2 connections, 17,136 mailboxes",
      functionName: "calculate-provider-performance",
      cronPath: "calculate-provider-performance",
      invoke: cronCall(bench, "calculate-provider-performance", { day }),
      expect: (body) =>
        body.results?.length === 2 &&
          body.results.every((result: { rows_written?: number }) => result.rows_written! > 0)
          ? undefined
          : "not every connection's day was written (run outside 23:00-24:00 Chicago time)",
    }, {
      label: "insights/generate",
      scale: "1 workspace of the agency, rules",
      functionName: "insights",
      invoke: () =>
        fetch(`${bench.functionsUrl}/insights/generate`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${anonKey}`,
            "x-cron-secret": bench.cronSecret,
            "content-type": "application/json",
          },
          body: JSON.stringify({ workspace_id: workspaceId }),
        }),
      expect: (body) => body.items?.length ? undefined : "no insights",
    }]);
  } finally {
    await sql.end();
    await bench.close();
  }
}

/** Phase 2: the polling benchmark's simulated Bison, then webhook deliveries. */
async function onPollAgency(deliveries: number, functionEnv: Record<string, string>) {
  const { simulator, pages } = startPollAgency(pollBenchScale);
  const bench = await startBenchStack(functionEnv, { onWorker });
  const sql = postgres(bench.databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    await registerPollAgency(sql, simulator, bench);
    const [{ id: workspaceId }] =
      await sql`select id::int from public.workspaces order by id limit 1`;
    const connection = await connectBison(bench.stack, "function-limits");
    const bodies = generateTraffic(deliveries, 1, await recentLocalDays(sql)).bodies
      .slice(0, deliveries);
    let next = 0;
    const { workspaces, mailboxes, pageMs } = pollBenchScale;
    await measureAll(bench, sql, [{
      label: "poll-sender-emails",
      scale: `${workspaces} workspaces, ${mailboxes.toLocaleString("en")} mailboxes, ` +
        `${pages} pages at ${pageMs} ms, slices as pg_cron calls them`,
      functionName: "poll-sender-emails",
      cronPath: "poll-sender-emails",
      invoke: cronCall(bench, "poll-sender-emails", {}),
      // The next slice comes as long as one queues it (pg_net is not running here).
      sliceUntil: (body) => body.slices_queued === 0,
      expect: (bodies) => {
        const finished = bodies.reduce(
          (sum: number, body: { workspaces: number }) => sum + body.workspaces,
          0,
        );
        const failed = bodies.flatMap((body: { failed: unknown[] }) => body.failed);
        return finished === workspaces && failed.length === 0
          ? undefined
          : `${finished} of ${workspaces} inventories finished, ${failed.length} failed`;
      },
    }, {
      label: "check-system-health/reconcile",
      scale: `${workspaces} workspaces, ${pageMs} ms a request`,
      functionName: "check-system-health",
      cronPath: "check-system-health/reconcile",
      invoke: cronCall(bench, "check-system-health/reconcile", {}),
      expect: (body) =>
        body.workspaces === workspaces && body.failed?.length === 0
          ? undefined
          : "not every workspace was reconciled",
    }, {
      label: "check-webhook-subscriptions",
      scale: `${workspaces} workspaces, ${pageMs} ms a request`,
      functionName: "check-webhook-subscriptions",
      cronPath: "check-webhook-subscriptions",
      invoke: cronCall(bench, "check-webhook-subscriptions", {}),
      expect: (body) =>
        body.workspaces === workspaces && body.failed?.length === 0
          ? undefined
          : "not every workspace's subscription was checked",
    }, {
      label: "check-system-health/catch-up",
      scale: `1 workspace, ${pageMs} ms a request`,
      functionName: "check-system-health",
      invoke: cronCall(bench, "check-system-health/catch-up", { workspace_id: workspaceId }),
      expect: (body) => body.poll_requested ? undefined : "no poll requested",
    }, {
      label: "universal-bison-webhook",
      scale: `1 delivery, mean of ${deliveries.toLocaleString("en")} in a row`,
      functionName: "universal-bison-webhook",
      times: deliveries,
      invoke: () =>
        fetch(connection.webhook_url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: bodies[next++],
        }),
      expect: (body) =>
        ["processed", "duplicate"].includes(body.status) ? undefined : "not processed",
    }, {
      label: "flush-broadcasts",
      scale: "one cron call: until just after the next minute",
      functionName: "flush-broadcasts",
      cronPath: "flush-broadcasts",
      invoke: cronCall(bench, "flush-broadcasts", {}),
      expect: (body) => body.flushes > 0 ? undefined : "it never flushed",
    }]);
  } finally {
    await sql.end();
    await bench.close();
    await simulator.close();
  }
}

function printTable(measurements: Measurement[], heapMb?: string) {
  const half = {
    cpuMs: hostedLimits.cpuMs / 2,
    memoryMb: hostedLimits.memoryMb / 2,
    wallMs: hostedLimits.wallMs / 2,
  };
  const percent = (value: number, limit: number) => `${Math.round((100 * value) / limit)}%`;
  const header = [
    "function",
    "scale",
    "CPU ms",
    "peak RSS MB",
    "wall s",
    "cron timeout s",
    "under half?",
  ];
  const rows = measurements.map((m) => {
    const over = [
      m.cpuMs >= half.cpuMs ? "CPU" : "",
      m.peakRssMb >= half.memoryMb ? "memory" : "",
      m.wallMs >= half.wallMs ? "wall" : "",
      m.callerTimeoutMs !== undefined && m.wallMs >= m.callerTimeoutMs ? "cron timeout" : "",
    ].filter(Boolean);
    return [
      m.label,
      m.scale,
      `${m.cpuMs.toFixed(m.cpuMs < 10 ? 1 : 0)} (${percent(m.cpuMs, hostedLimits.cpuMs)})`,
      `${m.peakRssMb.toFixed(0)}${m.peakReset ? "" : "*"} (${
        percent(m.peakRssMb, hostedLimits.memoryMb)
      })`,
      `${(m.wallMs / 1000).toFixed(m.wallMs < 10_000 ? 3 : 1)} (${
        percent(m.wallMs, hostedLimits.wallMs)
      })`,
      m.callerTimeoutMs === undefined ? "-" : String(m.callerTimeoutMs / 1000),
      over.length ? `NO: ${over.join(", ")}` : "yes",
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ");
  console.log(
    `\nFunction limits per invocation (hosted: ${hostedLimits.cpuMs} ms CPU, ` +
      `${hostedLimits.memoryMb} MB memory, ${hostedLimits.wallMs / 1000} s wall; target: under ` +
      `half of each; % of the hosted limit in brackets)`,
  );
  console.log(
    heapMb
      ? `Functions ran with the V8 heap of a hosted isolate limited to ${heapMb} MB (--heap-mb).`
      : "Functions ran with Deno's default V8 heap (no --heap-mb).",
  );
  console.log(line(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of rows) console.log(line(row));
  if (measurements.some((m) => !m.peakReset)) {
    console.log("* the peak could not be reset: the worker's lifetime peak");
  }
  console.log(
    "RSS is the whole Deno process and CPU every thread of it (runtime included): both overstate " +
      "what the hosted isolate is charged.",
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      deliveries: { type: "string", default: "1000" },
      "heap-mb": { type: "string" },
    },
  });
  const deliveries = positiveOption("deliveries", values.deliveries);
  const functionEnv: Record<string, string> = values["heap-mb"]
    ? hostedHeapEnv(positiveOption("heap-mb", values["heap-mb"]))
    : {};
  await onHealthAgency(functionEnv);
  await onPollAgency(deliveries, functionEnv);
  printTable(measurements, values["heap-mb"]);
  if (problems.length) {
    console.log(
      `\nFAILED: the functions did not do the work measured:\n  ${problems.join("\n  ")}`,
    );
    return 1;
  }
  return 0;
}

if (import.meta.main) await runBenchmark(main);
