// Webhook ingest benchmark: a throwaway stack of its own (database 54342, pooler 54348,
// .local/bench/), realistic Email Bison deliveries of all 17 types with 10% exact re-sends, posted
// at a fixed concurrency to --instances separate instances of the webhook function (each its own
// gateway and function process with its own connection pool, all reaching the database through the
// stack's transaction pooler), then checked against counters computed here. The database's peak
// connection count is sampled throughout. The same bodies are then replayed straight into
// private.ingest_webhook_event as the database's own ceiling.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/webhook.ts [--events 20000]
//     [--concurrency 50] [--instances 20] [--function-pool <DB_POOL_SIZE>] [--sql-pool 10]
//     [--seed 1] [--profile]
//
// --profile also prints where the database spent the direct SQL run, per SQL function (it slows
// that run down: compare its throughput only with other --profile runs).
//
// Human progress goes to stderr, the report to stdout. Exit 1 when a response was not 200 or a
// counter is off; the throughput target is reported, never enforced.
import { cp } from "node:fs/promises";
import { join, sep } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import {
  dbUrl,
  functionEnv as stackFunctionEnv,
  functionsUrl,
  platformDbUrl,
  repoRoot,
  type StackConfig,
  stackConfig,
  stackEnv,
} from "../local/config.ts";
import { poolerServerConnections } from "../local/pooler.ts";
import { bisonCliResult } from "../local/bison-cli.ts";
import { freshDatabase, stopDatabase } from "../local/database.ts";
import { sha256Hex } from "../../supabase/functions/_shared/http.ts";
import { assertBenchStackFree, percentile, positiveOption, runBenchmark } from "./bench-stack.ts";
import { bisonEvent, type EventType, eventTypes, metricOf } from "../simulator/bison-events.ts";

export interface Gateway {
  url: string;
  close(): Promise<void>;
}

/**
 * scripts/local/gateway.ts as its own process on a free port, serving `functionsDir`, ready when it
 * answers. Each gateway runs one process per function: one instance of the webhook function.
 */
export async function spawnGateway(
  stack: StackConfig,
  functionEnv: Record<string, string>,
  functionsDir: string,
  log: string[],
): Promise<Gateway> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(repoRoot, "scripts", "local", "gateway.ts")],
    env: {
      // What the stack's gateway is started with (its Auth's key, the platform's URL, ...), and
      // the functions' environment of this run.
      ...await stackEnv(stack),
      ...functionEnv,
      GATEWAY_PORT: "0",
      FUNCTIONS_DIRS: functionsDir,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let url = "";
  (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      for (const line of decoder.decode(chunk).split("\n")) {
        url ||= line.match(/^gateway: serving .* on (http:\/\/127\.0\.0\.1:\d+)$/)?.[1] ?? "";
        log.push(line);
      }
    }
  })().catch(() => {});
  const deadline = Date.now() + 60_000;
  while (true) {
    try {
      if (url) {
        const response = await fetch(`${url}/health`);
        await response.body?.cancel();
        if (response.ok) break;
      }
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the gateway did not start:\n${log.slice(-10).join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async close() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

const timeZone = "America/Chicago";
const target = { eventsPerSecond: 500, p99Ms: 100 };
const progressEvery = 2000;

/** Bison workspace id of the warm-up deliveries, kept out of every check. */
const warmupWorkspaceId = 9999;
const warmupRequests = 100;

/** How often each type arrives, per 10,000 deliveries, in a typical agency's traffic. */
const typeWeights: Record<EventType, number> = {
  EMAIL_SENT: 5000,
  LEAD_FIRST_CONTACTED: 1800,
  EMAIL_OPENED: 1400,
  LEAD_REPLIED: 450,
  LEAD_INTERESTED: 150,
  EMAIL_BOUNCED: 300,
  LEAD_UNSUBSCRIBED: 100,
  MANUAL_EMAIL_SENT: 200,
  UNTRACKED_REPLY_RECEIVED: 150,
  EMAIL_ACCOUNT_ADDED: 80,
  EMAIL_ACCOUNT_REMOVED: 20,
  EMAIL_ACCOUNT_DISCONNECTED: 40,
  EMAIL_ACCOUNT_RECONNECTED: 30,
  WARMUP_DISABLED_CAUSING_BOUNCES: 20,
  WARMUP_DISABLED_RECEIVING_BOUNCES: 20,
  TAG_ATTACHED: 140,
  TAG_REMOVED: 100,
};

/** Eight client workspaces of uneven size (share of the traffic). */
const workspaceShares = [25, 20, 15, 12, 10, 8, 6, 4];
const campaignsPerWorkspace = 5;
const mailboxesPerWorkspace = 250;
const leadsPerWorkspace = 3000;

const metricColumns = [...new Set(Object.values(metricOf))] as string[];

// ---------------------------------------------------------------------------------------------
// The benchmark's own stack

/**
 * The gateway restarts every function process when a .ts file under its folders changes, which
 * would answer 502 to the requests in flight. It serves a copy of supabase/functions taken at
 * start instead, so editing the code while the benchmark runs neither fails requests nor mixes
 * two versions of it.
 */
export async function snapshotFunctions(stack: StackConfig): Promise<string> {
  const source = join(repoRoot, "supabase", "functions");
  const target = join(stack.dir, "functions");
  await Deno.remove(target, { recursive: true }).catch(() => {});
  const skipped = [join(source, "tests"), join(source, ".env")];
  await cp(source, target, {
    recursive: true,
    filter: (path) => !skipped.some((skip) => path === skip || path.startsWith(skip + sep)),
  });
  return target;
}

/**
 * The bench gateway lives only as long as a benchmark, so a taken port means another benchmark
 * (this one or scripts/bench/poll.ts) is using .local/bench: refuse before wiping its database.
 */
export interface Connection {
  connection_id: string;
  webhook_url: string;
  tokenSha256: string;
}

/** Creates a connection with the admin CLI, as an operator would. */
export async function connectBison(stack: StackConfig, name: string): Promise<Connection> {
  const result = await bisonCliResult<{ connection_id: string; webhook_url: string }>(
    [
      "connect",
      "--name",
      name,
      "--base-url",
      "https://bench.example.test",
      "--timezone",
      timeZone,
      "--no-check",
    ],
    { SUPABASE_DB_URL: dbUrl(stack), SUPABASE_FUNCTIONS_URL: functionsUrl(stack) },
  );
  const token = new URL(result.webhook_url).pathname.split("/").pop() ?? "";
  return { ...result, tokenSha256: sha256Hex(token) };
}

// ---------------------------------------------------------------------------------------------
// Deliveries

/** mulberry32: a small seeded generator, so every run sends the same mix (on recent days). */
function randomGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weightedPicker<T>(items: readonly T[], weights: readonly number[], random: () => number) {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return () => {
    let point = random() * total;
    for (let i = 0; i < items.length; i++) {
      point -= weights[i];
      if (point < 0) return items[i];
    }
    return items[items.length - 1];
  };
}

/** The local days traffic is spread over: each day and the instant it starts, then today's. */
export interface LocalDays {
  days: string[];
  /** Epoch ms each day starts at, with one more: the start of today. */
  starts: number[];
}

/** The three local days before today in the reporting zone, as the database counts them. */
export async function recentLocalDays(sql: postgres.Sql): Promise<LocalDays> {
  const rows = await sql<{ day: string; start: Date }[]>`
    select d::date::text as day, d::date::timestamp at time zone ${timeZone} as start
    from generate_series((now() at time zone ${timeZone})::date - 3,
                         (now() at time zone ${timeZone})::date, interval '1 day') d
    order by d`;
  return {
    days: rows.slice(0, -1).map((row) => row.day),
    starts: rows.map((row) => row.start.getTime()),
  };
}

export interface Traffic {
  /** Every delivery in sending order (unique events and re-sends), as JSON text. */
  bodies: string[];
  unique: number;
  duplicates: number;
  days: string[];
  typeCounts: Map<EventType, number>;
  /** Expected workspace_daily_metrics: "<bison workspace id>|<day>" -> column -> count. */
  expected: Map<string, Record<string, number>>;
}

/** Bison timestamps carry microseconds: 2026-11-20T14:03:11.123000Z. */
const bisonTime = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z");

export function generateTraffic(
  uniqueEvents: number,
  seed: number,
  calendar: LocalDays,
): Traffic {
  const random = randomGenerator(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const pickType = weightedPicker(eventTypes, eventTypes.map((type) => typeWeights[type]), random);
  const pickWorkspace = weightedPicker(
    workspaceShares.map((_, index) => index),
    workspaceShares,
    random,
  );

  // The local days before today in the reporting zone, and the instants that bound them.
  const { days, starts } = calendar;
  const windowStart = starts[0];
  const windowEnd = starts[starts.length - 1];
  const localDay = (atMs: number) => days[starts.findLastIndex((start) => start <= atMs)];

  const workspaces = workspaceShares.map((_, index) => {
    const bisonId = 101 + index;
    return {
      bisonId,
      name: `Client ${bisonId}`,
      campaigns: Array.from(
        { length: campaignsPerWorkspace },
        (_, k) => bisonId * 100 + k + 1,
      ),
      mailboxes: Array.from(
        { length: mailboxesPerWorkspace },
        (_, k) => bisonId * 10_000 + k + 1,
      ),
      leads: { first: bisonId * 1_000_000 + 1, count: leadsPerWorkspace },
    };
  });

  const accountEvent = (type: EventType) =>
    type.startsWith("EMAIL_ACCOUNT_") || type.startsWith("WARMUP_DISABLED_");
  // Account events are keyed by mailbox and its updated_at: keep those pairs distinct.
  const usedAccountKeys = new Set<string>();

  const events: string[] = [];
  const typeCounts = new Map<EventType, number>();
  const expected = new Map<string, Record<string, number>>();

  for (let i = 0; i < uniqueEvents; i++) {
    // The first 17 events cover every type once, whatever the weights draw.
    const type = i < eventTypes.length ? eventTypes[i] : pickType();
    const workspace = workspaces[pickWorkspace()];
    const senderEmailId = pick(workspace.mailboxes);
    let atMs = windowStart + Math.floor(random() * (windowEnd - windowStart));
    if (accountEvent(type)) {
      while (usedAccountKeys.has(`${type}:${senderEmailId}:${atMs}`)) atMs = atMs + 1;
      if (atMs >= windowEnd) throw new Error("ran out of distinct account event times");
      usedAccountKeys.add(`${type}:${senderEmailId}:${atMs}`);
    }
    const outsideCampaign = type === "MANUAL_EMAIL_SENT" && random() < 0.5;
    const body = bisonEvent(type.toLowerCase(), {
      id: 1_000_000 + i,
      workspaceId: workspace.bisonId,
      workspaceName: workspace.name,
      leadId: workspace.leads.first + Math.floor(random() * workspace.leads.count),
      campaignId: outsideCampaign ? null : pick(workspace.campaigns),
      senderEmailId,
      at: bisonTime(atMs),
      stringCounters: random() < 0.1,
      withoutInstanceUrl: random() < 0.05,
    });
    events.push(JSON.stringify(body));
    typeCounts.set(type, (typeCounts.get(type) ?? 0) + 1);

    const metric = metricOf[type];
    if (metric) {
      const key = `${workspace.bisonId}|${localDay(atMs)}`;
      const row = expected.get(key) ??
        Object.fromEntries(metricColumns.map((column) => [column, 0]));
      row[metric] += 1;
      expected.set(key, row);
    }
  }

  // Unique events in random order; each re-send lands somewhere after its original, as a retry.
  const duplicates = Math.round(uniqueEvents * 0.1);
  const shuffled = shuffle(events, random);
  const sequenced = shuffled.map((body, index) => ({ body, key: index }));
  for (let d = 0; d < duplicates; d++) {
    const original = Math.floor(random() * uniqueEvents);
    const later = original + 0.5 + random() * (uniqueEvents - original);
    sequenced.push({ body: shuffled[original], key: later });
  }
  sequenced.sort((a, b) => a.key - b.key);

  return {
    bodies: sequenced.map((entry) => entry.body),
    unique: uniqueEvents,
    duplicates,
    days,
    typeCounts,
    expected,
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

export function warmupBodies(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      JSON.stringify(bisonEvent(i % 2 ? "email_sent" : "lead_replied", {
        id: 900_000_000 + i,
        workspaceId: warmupWorkspaceId,
        workspaceName: "Warm-up",
        leadId: 900_000_000 + i,
        campaignId: 999_901,
        senderEmailId: 99_990_001,
      })),
  );
}

// ---------------------------------------------------------------------------------------------
// Load

/** Delivers one body; status is the HTTP status ("ok" for SQL), outcome the ingest's answer. */
export type Sender = (body: string) => Promise<{ status: string; outcome: string }>;

export interface RunResult {
  seconds: number;
  latenciesMs: number[];
  statuses: Map<string, number>;
  outcomes: Map<string, number>;
  errors: string[];
}

/**
 * Sends every body through `send` with a fixed pool of workers pulling from one queue: as fast as
 * they can (closed loop), or, with `ratePerSecond`, each body at its scheduled time (open loop, as
 * Bison sends), its latency counted from that time so that falling behind shows.
 */
export async function drive(
  label: string,
  bodies: string[],
  concurrency: number,
  send: Sender,
  signal: AbortSignal,
  progress = true,
  ratePerSecond?: number,
): Promise<RunResult> {
  const latenciesMs: number[] = [];
  const statuses = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const errors: string[] = [];
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let next = 0;
  let done = 0;
  const started = performance.now();

  const worker = async () => {
    while (next < bodies.length && !signal.aborted) {
      const index = next++;
      const body = bodies[index];
      const scheduled = ratePerSecond ? started + (index * 1000) / ratePerSecond : 0;
      const wait = scheduled - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sent = ratePerSecond ? scheduled : performance.now();
      let result: { status: string; outcome: string };
      try {
        result = await send(body);
      } catch (error) {
        result = { status: "error", outcome: "error" };
        if (errors.length < 10) errors.push((error as Error).message);
      }
      latenciesMs.push(performance.now() - sent);
      bump(statuses, result.status);
      bump(outcomes, result.outcome);
      done++;
      if (progress && done % progressEvery === 0) {
        const elapsed = (performance.now() - started) / 1000;
        console.error(
          `  ${label}: ${done}/${bodies.length} (${Math.round(done / elapsed)} events/s)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (signal.aborted) throw new Error("interrupted");
  return { seconds: (performance.now() - started) / 1000, latenciesMs, statuses, outcomes, errors };
}

/** Posts to the webhook URL, each delivery to the next instance's gateway in turn. */
export function httpSender(webhookUrl: string, gateways: Gateway[], signal: AbortSignal): Sender {
  const path = new URL(webhookUrl).pathname;
  let next = 0;
  return async (body) => {
    const url = `${gateways[next++ % gateways.length].url}${path}`;
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal,
    });
    const text = await response.text();
    let outcome = "unparsable";
    try {
      outcome = String((JSON.parse(text) as { status?: unknown }).status ?? "none");
    } catch { /* keep "unparsable" */ }
    return { status: String(response.status), outcome };
  };
}

export function sqlSender(sql: postgres.Sql, tokenSha256: string): Sender {
  return async (body) => {
    const [row] = await sql`
      select private.ingest_webhook_event(${tokenSha256}, ${body}::text::jsonb) as result`;
    return { status: "ok", outcome: String((row.result as { outcome: string }).outcome) };
  };
}

/**
 * Samples, every 20 ms, how many connections the database serves to `postgres` (the functions'
 * role; the sampler itself logs in as the platform superuser), and keeps the peak.
 */
function sampleConnections(stack: StackConfig) {
  const sampler = postgres(platformDbUrl(stack), { max: 1, prepare: false, onnotice: () => {} });
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const [row] = await sampler`
        select count(*)::int as connections from pg_catalog.pg_stat_activity
        where backend_type = 'client backend' and usename = 'postgres'`;
      peak = Math.max(peak, row.connections);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      await sampler.end();
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Verification

/** Compares the database with the expected counters; returns one line per difference. */
async function verify(
  sql: postgres.Sql,
  connection: Connection,
  traffic: Traffic,
  result: RunResult,
  okStatus: string,
): Promise<string[]> {
  const problems: string[] = [];
  const expectedOutcomes = { processed: traffic.unique, duplicate: traffic.duplicates };
  for (const [status, count] of result.statuses) {
    if (status !== okStatus) problems.push(`${count} responses with status ${status}`);
  }
  for (const [outcome, count] of result.outcomes) {
    const wanted = expectedOutcomes[outcome as keyof typeof expectedOutcomes];
    if (wanted === undefined) problems.push(`${count} deliveries answered "${outcome}"`);
  }
  for (const [outcome, wanted] of Object.entries(expectedOutcomes)) {
    const got = result.outcomes.get(outcome) ?? 0;
    if (got !== wanted) problems.push(`outcome ${outcome}: expected ${wanted}, got ${got}`);
  }
  for (const error of result.errors) problems.push(`request error: ${error}`);

  const rows = await sql`
    select w.bison_workspace_id::int as workspace, m.day::text as day,
           ${sql(metricColumns.map((column) => `m.${column}`))}
    from public.workspace_daily_metrics m join public.workspaces w on w.id = m.workspace_id
    where w.connection_id = ${connection.connection_id}
      and w.bison_workspace_id <> ${warmupWorkspaceId}`;
  const actual = new Map<string, Record<string, number>>();
  for (const row of rows) actual.set(`${row.workspace}|${row.day}`, row);
  for (const key of new Set([...traffic.expected.keys(), ...actual.keys()])) {
    const want = traffic.expected.get(key);
    const got = actual.get(key);
    const [workspace, day] = key.split("|");
    if (!want || !got) {
      problems.push(`workspace ${workspace} ${day}: ${want ? "no row" : "unexpected row"}`);
      continue;
    }
    for (const column of metricColumns) {
      if (want[column] !== Number(got[column])) {
        problems.push(
          `workspace ${workspace} ${day} ${column}: expected ${want[column]}, got ${got[column]}`,
        );
      }
    }
  }

  const [events] = await sql`
    select count(*)::int as stored,
           count(*) filter (where e.status <> 'processed')::int as not_processed
    from private.webhook_events e join public.workspaces w on w.id = e.workspace_id
    where e.connection_id = ${connection.connection_id}
      and w.bison_workspace_id <> ${warmupWorkspaceId}`;
  if (events.stored !== traffic.unique) {
    problems.push(`private.webhook_events: expected ${traffic.unique} rows, got ${events.stored}`);
  }
  if (events.not_processed > 0) {
    problems.push(`private.webhook_events: ${events.not_processed} rows not processed`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Profile

/**
 * Counts calls and time per SQL function from now on (cluster-wide: this is a throwaway one). Only
 * the platform superuser may change the server's settings.
 */
async function startFunctionProfile(stack: StackConfig): Promise<void> {
  const admin = postgres(platformDbUrl(stack), { max: 1, onnotice: () => {} });
  try {
    await admin`alter system set track_functions = 'all'`;
    await admin`select pg_reload_conf()`;
    await admin`select pg_stat_reset()`;
  } finally {
    await admin.end();
  }
}

/** The functions that took the most time of their own, per call, since startFunctionProfile. */
async function functionProfile(sql: postgres.Sql): Promise<string> {
  // A backend that goes idle keeps its pending statistics for up to 10 s before flushing them.
  console.error("• waiting 11 s for the statistics of the last calls to land");
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const rows = await sql`
    select schemaname || '.' || funcname as function, calls,
           round(self_time::numeric) as self_ms, round(total_time::numeric) as total_ms,
           round((self_time * 1000 / calls)::numeric, 1) as self_us_per_call
    from pg_catalog.pg_stat_user_functions
    where calls > 0
    order by self_time desc
    limit 15`;
  const header = ["function", "calls", "self ms", "total ms", "self us/call"];
  const lines = rows.map((row) =>
    [row.function, row.calls, row.self_ms, row.total_ms, row.self_us_per_call].map(String)
  );
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i].length))
  );
  const format = (cells: string[]) =>
    cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ");
  return [
    "Database time per SQL function during the direct SQL run (--profile):",
    format(header),
    ...lines.map(format),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Report

export interface Summary {
  seconds: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarise(result: RunResult): Summary {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return {
    seconds: result.seconds,
    throughput: sorted.length / result.seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

function printReport(
  options: {
    concurrency: number;
    instances: number;
    functionPool: string;
    peakConnections: number;
    sqlPool: number;
  },
  traffic: Traffic,
  http: Summary,
  direct: Summary,
  httpResult: RunResult,
) {
  const sent = traffic.unique + traffic.duplicates;
  const fixed = (value: number, digits = 1) => value.toFixed(digits);
  const rows: [string, string, string][] = [
    ["events sent", String(sent), String(sent)],
    ["unique", String(traffic.unique), String(traffic.unique)],
    ["duplicates", String(traffic.duplicates), String(traffic.duplicates)],
    ["concurrency", String(options.concurrency), String(options.concurrency)],
    ["function instances", String(options.instances), "-"],
    [
      "connections (each)",
      `${options.functionPool} to pooler`,
      `postgres.js max ${options.sqlPool}`,
    ],
    [
      "peak DB connections",
      `${options.peakConnections} (pooler max ${poolerServerConnections})`,
      String(options.sqlPool),
    ],
    ["total seconds", fixed(http.seconds, 2), fixed(direct.seconds, 2)],
    ["throughput (events/s)", fixed(http.throughput, 0), fixed(direct.throughput, 0)],
    ["latency p50 (ms)", fixed(http.p50), fixed(direct.p50)],
    ["latency p95 (ms)", fixed(http.p95), fixed(direct.p95)],
    ["latency p99 (ms)", fixed(http.p99), fixed(direct.p99)],
    ["latency max (ms)", fixed(http.max), fixed(direct.max)],
  ];
  const widths = [24, 34, 26];
  const line = (cells: string[]) =>
    cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("");
  console.log("");
  console.log(`Webhook ingest benchmark (${timeZone} days ${traffic.days.join(", ")})`);
  console.log(line(["", "HTTP (gateway+function)", "direct SQL (ceiling)"]));
  console.log("-".repeat(widths.reduce((sum, width) => sum + width, 0)));
  for (const row of rows) console.log(line(row));
  console.log("");
  const statuses = [...httpResult.statuses].map(([status, n]) => `${status}: ${n}`).join(", ");
  const outcomes = [...httpResult.outcomes].map(([outcome, n]) => `${outcome}: ${n}`).join(", ");
  console.log(`HTTP statuses: ${statuses}; outcomes: ${outcomes}`);
  const types = [...traffic.typeCounts].sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${type} ${n}`).join(", ");
  console.log(`unique events by type: ${types}`);
  console.log(`HTTP ÷ SQL throughput: ${fixed(http.throughput / direct.throughput, 2)}`);
  const met = http.throughput >= target.eventsPerSecond && http.p99 < target.p99Ms;
  console.log(
    `target (>= ${target.eventsPerSecond} events/s with p99 < ${target.p99Ms} ms over HTTP): ` +
      `${met ? "MET" : "MISSED"} (${fixed(http.throughput, 0)} events/s, p99 ${
        fixed(http.p99)
      } ms)`,
  );
}

// ---------------------------------------------------------------------------------------------

function parseOptions() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      events: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "50" },
      instances: { type: "string", default: "20" },
      rate: { type: "string", default: "500" },
      "function-pool": { type: "string" },
      "sql-pool": { type: "string", default: "10" },
      seed: { type: "string", default: "1" },
      profile: { type: "boolean", default: false },
    },
  });
  return {
    events: positiveOption("events", values.events),
    concurrency: positiveOption("concurrency", values.concurrency),
    instances: positiveOption("instances", values.instances),
    rate: positiveOption("rate", values.rate),
    functionPool: values["function-pool"] === undefined
      ? undefined
      : positiveOption("function-pool", values["function-pool"]),
    sqlPool: positiveOption("sql-pool", values["sql-pool"]),
    seed: positiveOption("seed", values.seed),
    profile: values.profile,
  };
}

async function main(): Promise<number> {
  const options = parseOptions();
  // .local/bench, database 54342, functions 54341; durable like hosted (fsync on), unlike test.
  const stack = stackConfig("bench");
  await assertBenchStackFree(stack); // before the try: its finally stops the bench database
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  Deno.addSignalListener("SIGINT", interrupt);
  const gatewayLog: string[] = [];
  const gateways: Gateway[] = [];
  let sql: postgres.Sql | undefined;
  let sampler: ReturnType<typeof sampleConnections> | undefined;
  const step = (message: string) => console.error(`• ${message}`);

  try {
    step(`fresh bench stack: database ${stack.dbPort}, pooler ${stack.poolerPort}, ${stack.dir}`);
    await freshDatabase(stack);
    step(`generating ${options.events} events (+10% re-sends), seed ${options.seed}`);
    const calendarSql = postgres(dbUrl(stack), { max: 1, prepare: false, onnotice: () => {} });
    const traffic = generateTraffic(
      options.events,
      options.seed,
      await recentLocalDays(calendarSql).finally(() => calendarSql.end()),
    );

    const functionEnv = await stackFunctionEnv(stack);
    if (options.functionPool) functionEnv.DB_POOL_SIZE = String(options.functionPool);
    // Each instance is a gateway and a function process of its own, as a hosted instance has its
    // own isolate and connection pool; none shares this process's event loop with the senders.
    const functionsDir = await snapshotFunctions(stack);
    step(`starting ${options.instances} instances of the webhook function`);
    gateways.push(
      ...await Promise.all(
        Array.from(
          { length: options.instances },
          () => spawnGateway(stack, functionEnv, functionsDir, gatewayLog),
        ),
      ),
    );

    const viaHttp = await connectBison(stack, "bench");
    const viaSql = await connectBison(stack, "bench-sql");
    const viaPaced = await connectBison(stack, "bench-paced");
    step(`connections created (${timeZone}); ${gateways.length} gateways`);

    sql = postgres(dbUrl(stack), {
      max: options.sqlPool,
      prepare: false,
      onnotice: () => {},
      connection: { application_name: "bench-webhook" },
    });

    // Start the functions' processes and open every pooled connection before measuring.
    const warmUp = async (send: Sender, hint: () => string = () => "") => {
      const result = await drive(
        "warm-up",
        warmupBodies(warmupRequests),
        options.concurrency,
        send,
        abort.signal,
        false,
      );
      if ((result.outcomes.get("processed") ?? 0) !== warmupRequests) {
        throw new Error(
          `warm-up failed: ${JSON.stringify([...result.statuses])} ${
            result.errors[0] ?? ""
          }${hint()}`,
        );
      }
    };
    sampler = sampleConnections(stack);
    const post = httpSender(viaHttp.webhook_url, gateways, abort.signal);
    await warmUp(post, () => `\n${gatewayLog.slice(-10).join("\n")}`);
    step(`HTTP: ${traffic.bodies.length} deliveries at concurrency ${options.concurrency}`);
    const httpResult = await drive(
      "http",
      traffic.bodies,
      options.concurrency,
      post,
      abort.signal,
    );

    step(
      `HTTP: the same deliveries at a steady ${options.rate} events/s (at most ${options.concurrency} in flight)`,
    );
    const pacedResult = await drive(
      "http paced",
      traffic.bodies,
      options.concurrency,
      httpSender(viaPaced.webhook_url, gateways, abort.signal),
      abort.signal,
      true,
      options.rate,
    );
    const peakConnections = await sampler.stop();
    sampler = undefined;

    const ingest = sqlSender(sql, viaSql.tokenSha256);
    await warmUp(ingest);
    if (options.profile) await startFunctionProfile(stack);
    step(`direct SQL: the same deliveries, ${options.sqlPool} connections`);
    const sqlResult = await drive("sql", traffic.bodies, options.concurrency, ingest, abort.signal);
    const profile = options.profile ? await functionProfile(sql) : "";

    step("verifying counters against the database");
    const problems = [
      ...(await verify(sql, viaHttp, traffic, httpResult, "200")).map((p) => `HTTP: ${p}`),
      ...(await verify(sql, viaSql, traffic, sqlResult, "ok")).map((p) => `SQL: ${p}`),
      ...(await verify(sql, viaPaced, traffic, pacedResult, "200")).map((p) => `paced: ${p}`),
    ];

    printReport(
      {
        concurrency: options.concurrency,
        instances: gateways.length,
        functionPool: `DB_POOL_SIZE=${options.functionPool ?? "unset (2)"}`,
        peakConnections,
        sqlPool: options.sqlPool,
      },
      traffic,
      summarise(httpResult),
      summarise(sqlResult),
      httpResult,
    );
    const paced = summarise(pacedResult);
    const pacedMet = paced.throughput >= target.eventsPerSecond * 0.98 &&
      paced.p99 < target.p99Ms;
    console.log(
      `\nHTTP at a steady ${options.rate} events/s (open loop, at most ${options.concurrency} in ` +
        `flight, latency from each delivery's scheduled time): ${Math.round(paced.throughput)} ` +
        `events/s, p50 ${paced.p50.toFixed(1)} ms, p95 ${paced.p95.toFixed(1)} ms, p99 ` +
        `${paced.p99.toFixed(1)} ms, max ${paced.max.toFixed(1)} ms -> target ` +
        `${pacedMet ? "MET" : "MISSED"}`,
    );

    if (profile) console.log(`\n${profile}`);

    if (problems.length) {
      console.log(`\nFAILED: ${problems.length} mismatches`);
      for (const problem of problems.slice(0, 50)) console.log(`  ${problem}`);
      if (problems.length > 50) console.log(`  ... and ${problems.length - 50} more`);
      const errors = gatewayLog.filter((entry) => /error/i.test(entry)).slice(-10);
      if (errors.length) console.log(`function log (last errors):\n${errors.join("\n")}`);
      return 1;
    }
    const rows = traffic.expected.size;
    console.log(
      `\ncounts exact: ${rows} workspace-day rows and ${traffic.unique} stored events on each path`,
    );
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", interrupt);
    await sampler?.stop().catch(() => {});
    await sql?.end({ timeout: 5 }).catch(() => {});
    await Promise.all(gateways.map((gateway) => gateway.close().catch(() => {})));
    await Deno.mkdir(stack.logDir, { recursive: true }).catch(() => {});
    await Deno.writeTextFile(
      join(stack.logDir, "gateway.log"),
      gatewayLog.join("\n") + (gatewayLog.length ? "\n" : ""),
    ).catch(() => {});
    await stopDatabase(stack).catch((error) => console.error(`stopping PostgreSQL: ${error}`));
  }
}

if (import.meta.main) await runBenchmark(main);
