// The picture at one or ten times an agency, in one table: ingest, Realtime broadcasts per
// second, bytes per million events, polling per invocation and the freshness it gives, the health
// evaluation and a provider-performance day. Every phase reuses the other benchmarks' generators
// at the chosen scale (35 × scale workspaces, 17,136 × scale mailboxes, 28 webhook events an hour
// per workspace for 30 days).
//
//   node_modules/.bin/deno run --allow-all scripts/bench/scale.ts --scale 1|10 [--events 20000]
//     [--instances 4] [--steady-minutes 6] [--dead-connection | --no-dead-connection]
//     [--heap-mb 256]
//
// --heap-mb gives every function the V8 heap of a hosted isolate with that memory limit (see
// function-limits.ts).
// Runs on the bench stack (.local/bench, fsync on; never two benchmarks at once) and stops it at
// the end. Progress goes to stderr, the table to stdout. Exit 1 when the work was not done (a
// count off, a delivery refused, an inventory incomplete); a missed target is reported, never
// enforced.
import { parseArgs } from "node:util";
import postgres from "postgres";
import {
  addDay,
  flushing,
  percentile,
  positiveOption,
  runBenchmark,
  startBenchStack,
} from "./bench-stack.ts";
import { healthBenchEventsPerHour, seedHealthAgency, seedWebhookHistory } from "./health.ts";
import { agency, bisonReportsEndOf, calculateDay } from "./provider-performance.ts";
import { registerPollAgency, startPollAgency } from "./poll.ts";
import {
  connectBison,
  drive,
  type Gateway,
  generateTraffic,
  httpSender,
  recentLocalDays,
  type RunResult,
  type Sender,
  snapshotFunctions,
  spawnGateway,
  sqlSender,
  summarise,
} from "./webhook.ts";
import { hostedHeapEnv, hostedLimits, measured, type Usage } from "./process-usage.ts";
import { callerTimeoutHeader } from "../../supabase/functions/_shared/run-deadline.ts";
import { functionEnv as stackFunctionEnv, platformDbUrl } from "../local/config.ts";
import { deadInstance } from "../simulator/dead-instance.ts";

type Bench = Awaited<ReturnType<typeof startBenchStack>>;

interface Row {
  what: string;
  figure: string;
  target?: string;
  met?: boolean;
}
const rows: Row[] = [];
const problems: string[] = [];
const step = (message: string) => console.error(`• ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const thousands = (value: number) => Math.round(value).toLocaleString("en");

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

// ---------------------------------------------------------------------------------------------
// Health and provider performance

/** The median of `runs` full health evaluations (stored, alerts queued), in ms. */
async function timeHealth(sql: postgres.Sql, runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await sql`select private.run_health_checks()`;
    times.push(performance.now() - started);
  }
  return median(times);
}

async function storedEvents(sql: postgres.Sql): Promise<number> {
  const [{ n }] = await sql`select count(*)::int as n from private.webhook_events`;
  return n;
}

async function healthAndProvider(sql: postgres.Sql, bench: Bench, scale: number) {
  // The provider benchmark's first computed day is yesterday in Chicago, as the hourly job runs.
  const [{ day }] = await sql`
    select ((now() at time zone 'America/Chicago')::date - 1)::text as day`;
  const rate = healthBenchEventsPerHour;
  // At ten times, the evaluation is timed at about 2 million stored events, then at 7 million.
  const firstDays = scale >= 10 ? 9 : 30;
  await seedHealthAgency(sql, bench.stack, rate, day, { scale, historyDays: firstDays });
  const timings: [number, number][] = [[await storedEvents(sql), await timeHealth(sql)]];
  if (firstDays < 30) {
    await seedWebhookHistory(sql, rate, 30, { after: firstDays });
    await sql`analyze private.webhook_events`;
    timings.push([await storedEvents(sql), await timeHealth(sql)]);
  }
  for (const [events, ms] of timings) {
    rows.push({
      what: `health evaluation, ${thousands(events)} events stored`,
      figure: `${ms.toFixed(0)} ms`,
      target: "< 200 ms, flat",
      met: ms < 200,
    });
  }
  await bisonReportsEndOf(sql, day);
  const provider = await calculateDay(sql, day, `${await addDay(sql, day)} 00:05`);
  if (provider.rows === 0) problems.push("the provider-performance day wrote no rows");
  const worst = Math.max(...provider.perConnectionMs);
  rows.push({
    what: `provider-performance day (snapshot + calculation), per connection`,
    figure: provider.perConnectionMs.map((ms) => `${ms.toFixed(0)} ms`).join(", ") +
      ` (${thousands(agency.mailboxes * scale)} mailboxes over 2)`,
    target: "< 1 s",
    met: worst < 1000,
  });
}

// ---------------------------------------------------------------------------------------------
// Ingest, storage, broadcasts

/** Bytes (heap, TOAST, indexes) of the raw events, the key ledger and what events derive. */
async function storageBytes(sql: postgres.Sql) {
  const [row] = await sql`
    select
      (select coalesce(sum(pg_total_relation_size(p.partition)), 0)
       from private.webhook_event_partitions() p)::bigint as raw,
      pg_total_relation_size('private.webhook_event_keys')::bigint as keys,
      (select sum(pg_total_relation_size(t))::bigint from unnest(array[
        'public.leads', 'public.replies', 'public.campaigns', 'public.sender_emails',
        'public.workspace_daily_metrics', 'public.campaign_daily_metrics']::regclass[]) t)
        as derived`;
  return { raw: Number(row.raw), keys: Number(row.keys), derived: Number(row.derived) };
}

async function metricBroadcasts(sql: postgres.Sql, from: Date, to: Date, topics?: string[]) {
  const [{ n }] = await sql`
    select count(*)::int as n from realtime.messages
    where event = 'metrics_updated' and inserted_at >= ${from}::timestamptz at time zone 'UTC'
      and inserted_at <= ${to}::timestamptz at time zone 'UTC'
      and (${topics ?? null}::text[] is null or topic = any(${topics ?? null}::text[]))`;
  return n;
}

function checkDeliveries(label: string, result: RunResult, okStatus: string, unique: number) {
  for (const [status, count] of result.statuses) {
    if (status !== okStatus) problems.push(`${label}: ${count} deliveries answered ${status}`);
  }
  const processed = result.outcomes.get("processed") ?? 0;
  if (processed !== unique) problems.push(`${label}: ${processed} of ${unique} events processed`);
}

async function ingest(sql: postgres.Sql, bench: Bench, events: number, instances: number) {
  const traffic = generateTraffic(events, 1, await recentLocalDays(sql));
  const signal = new AbortController().signal;
  const viaSql = await connectBison(bench.stack, "scale-sql");
  const viaHttp = await connectBison(bench.stack, "scale-http");
  const pool = postgres(bench.databaseUrl, { max: 10, prepare: false, onnotice: () => {} });
  const flusher = flushing(bench);
  try {
    // The database's own ceiling, and what it stores per event.
    await sql`checkpoint`.catch(() => {});
    const before = await storageBytes(sql);
    step(`direct SQL: ${traffic.bodies.length} deliveries, 10 connections`);
    const from = new Date();
    const direct = await drive(
      "sql",
      traffic.bodies,
      50,
      sqlSender(pool, viaSql.tokenSha256),
      signal,
    );
    const to = new Date();
    checkDeliveries("SQL", direct, "ok", traffic.unique);
    const after = await storageBytes(sql);
    const sqlSummary = summarise(direct);
    const broadcasts = await metricBroadcasts(sql, from, to);
    const perMillion = (bytes: number) => (bytes * 1e6) / traffic.unique;
    const raw = perMillion(after.raw - before.raw);
    const keys = perMillion(after.keys - before.keys);
    const derived = perMillion(after.derived - before.derived);
    rows.push({
      what: "ingest, direct SQL (the database's ceiling), 10 connections",
      figure: `${sqlSummary.throughput.toFixed(0)} events/s, p99 ${sqlSummary.p99.toFixed(0)} ms`,
    });
    rows.push({
      what: `metric broadcasts during that ingest (${traffic.days.length} days × 8 workspaces)`,
      figure: `${(broadcasts / direct.seconds).toFixed(1)}/s for ` +
        `${sqlSummary.throughput.toFixed(0)} events/s (${
          (broadcasts * 1000 / traffic.bodies.length).toFixed(1)
        } per 1,000 deliveries)`,
      target: "≤ 8/s (one per workspace a second)",
      met: broadcasts / direct.seconds <= 8.5,
    });
    rows.push({
      what: "bytes per million events: raw events (for the 30-day raw-payload window)",
      figure: gb(raw),
    });
    rows.push({
      what: "bytes per million events: event store after the window (idempotency keys)",
      figure: gb(keys),
      target: "≤ 0.6 GB",
      met: keys <= 0.6e9,
    });
    rows.push({
      what: `bytes per million events: what events derive (${thousands(traffic.unique)} events ` +
        "of fresh leads)",
      figure: `${gb(derived)} (leads, replies, campaigns, mailboxes, day rows)`,
    });
    rows.push({
      what: "steady state at 1 million events a day, after a year",
      figure: `${gb(30 * raw + 365 * (keys + derived))} (${gb(30 * raw)} raw window, ` +
        `${gb(365 * keys)} keys, at most ${gb(365 * derived)} derived)`,
    });

    // Through the functions, as Bison delivers.
    const functionEnv = await stackFunctionEnv(bench.stack);
    const functionsDir = await snapshotFunctions(bench.stack);
    const log: string[] = [];
    const gateways: Gateway[] = await Promise.all(
      Array.from(
        { length: instances },
        () => spawnGateway(bench.stack, functionEnv, functionsDir, log),
      ),
    );
    try {
      step(`HTTP: ${traffic.bodies.length} deliveries to ${instances} function instances`);
      const http = await drive(
        "http",
        traffic.bodies,
        50,
        httpSender(viaHttp.webhook_url, gateways, signal),
        signal,
      );
      checkDeliveries("HTTP", http, "200", traffic.unique);
      const summary = summarise(http);
      rows.push({
        what: `ingest over HTTP, ${instances} function instances, concurrency 50`,
        figure: `${summary.throughput.toFixed(0)} events/s, p99 ${summary.p99.toFixed(0)} ms`,
      });
    } finally {
      await Promise.all(gateways.map((gateway) => gateway.close()));
    }
  } finally {
    await flusher.stop();
    await pool.end();
  }
}

/** Day-row changes at 1,000 a second over 8 workspaces, and the broadcasts they cause. */
async function broadcastsAtRate(sql: postgres.Sql, bench: Bench) {
  const workspaces = await sql<{ id: number }[]>`
    select w.id::int from public.workspaces w
    join public.bison_connections c on c.id = w.connection_id
    where c.name = 'scale-sql' order by w.id limit 8`;
  if (workspaces.length !== 8) throw new Error("the ingest phase made no 8 workspaces");
  const seconds = 20;
  const bodies = Array.from({ length: 1000 * seconds }, (_, i) => String(workspaces[i % 8].id));
  const pool = postgres(bench.databaseUrl, { max: 10, prepare: false, onnotice: () => {} });
  const change: Sender = async (workspaceId) => {
    await pool`
      select private.increment_daily_metric(${Number(workspaceId)}, null,
        (now() at time zone 'UTC')::date, 'emails_sent', now())`;
    return { status: "ok", outcome: "processed" };
  };
  const flusher = flushing(bench);
  try {
    step(`${bodies.length} day-row changes at 1,000 a second over 8 workspaces`);
    const from = new Date();
    const result = await drive(
      "changes",
      bodies,
      50,
      change,
      new AbortController().signal,
      false,
      1000,
    );
    await sleep(1500); // the trailing edge of the last burst
    const to = new Date();
    const topics = workspaces.map(({ id }) => `workspace:${id}:metrics`);
    const sent = await metricBroadcasts(sql, from, to, topics);
    const rate = bodies.length / result.seconds;
    const perSecond = sent / ((to.getTime() - from.getTime()) / 1000);
    rows.push({
      what: `metric broadcasts at ${rate.toFixed(0)} changes/s over 8 workspaces`,
      figure: `${perSecond.toFixed(1)}/s (${sent} messages in ${
        ((to.getTime() - from.getTime()) /
          1000).toFixed(1)
      } s)`,
      target: "≤ 10/s",
      met: perSecond <= 10,
    });
    const [{ latest }] = await sql`
      select bool_and((m.payload ->> 'emails_sent')::int = d.emails_sent) as latest
      from public.workspace_daily_metrics d
      cross join lateral (
        select r.payload from realtime.messages r
        where r.topic = 'workspace:' || d.workspace_id || ':metrics'
          and r.payload ->> 'day' = d.day::text
        order by (r.payload ->> 'emails_sent')::int desc limit 1
      ) m
      where d.workspace_id = any(${workspaces.map(({ id }) => id)}::bigint[])
        and d.day = (now() at time zone 'UTC')::date`;
    if (!latest) problems.push("a workspace's last broadcast does not carry its latest counters");
  } finally {
    await flusher.stop();
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Polling

interface Slice {
  usage: Usage | null;
  summary: {
    workspaces: number;
    continued: number;
    pages: number;
    slices_queued: number;
    failed: unknown[];
    connection: { connection_id: string; breaker: string } | null;
  };
}

/**
 * Runs slices as pg_cron and pg_net do: one call at once (as an operator's or the cron job's),
 * then one call for every request queued for poll-sender-emails (the cron job every minute, and
 * the slices queuing the next), claimed by deleting it from net.http_request_queue as pg_net's
 * worker does (pg_net itself is not running here). A slice alone in the worker is measured.
 * Stops when `done` says so.
 */
async function runSlices(
  bench: Bench,
  platform: postgres.Sql,
  pid: () => number,
  done: () => Promise<boolean>,
  onTick: () => Promise<void> = async () => {},
): Promise<Slice[]> {
  const slices: Slice[] = [];
  // pg_net's call says how long it waits, and the slice ends before then (run-deadline.ts).
  const [{ timeout_ms }] = await platform`select private.poll_slice_timeout_ms() as timeout_ms`;
  // Calls running now, each told when another overlaps it: only a slice alone in the worker is
  // measured (its CPU and memory would be another's too).
  const inFlight = new Set<{ overlapped: boolean }>();
  const running = new Set<Promise<void>>();
  const call = async () => {
    const token = { overlapped: inFlight.size > 0 };
    for (const other of inFlight) other.overlapped = true;
    inFlight.add(token);
    const invoke = async () => {
      const response = await fetch(`${bench.functionsUrl}/poll-sender-emails`, {
        method: "POST",
        headers: {
          "x-cron-secret": bench.cronSecret,
          "content-type": "application/json",
          [callerTimeoutHeader]: String(timeout_ms),
        },
        body: "{}",
      });
      if (!response.ok) throw new Error(`poll-sender-emails answered ${response.status}`);
      return await response.json();
    };
    try {
      const [summary, usage] = await measured(pid(), invoke);
      slices.push({ summary, usage: token.overlapped ? null : usage });
    } finally {
      inFlight.delete(token);
    }
  };
  const start = () => {
    const promise = call().finally(() => running.delete(promise));
    running.add(promise);
  };
  start();
  while (!(await done())) {
    await onTick();
    const queued = await platform`
      delete from net.http_request_queue
      where url like '%/functions/v1/poll-sender-emails' returning id`;
    for (let i = 0; i < queued.length; i++) start();
    await Promise.race([sleep(200), ...running]);
  }
  await Promise.all(running);
  return slices;
}

/** The most requests within any 60 s (times in ms). */
function busiestMinute(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= 60_000) first++;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

async function polling(
  sql: postgres.Sql,
  platform: postgres.Sql,
  bench: Bench,
  scale: number,
  workerPid: () => number,
  steadyMinutes: number,
  withDeadConnection: boolean,
) {
  const options = { workspaces: 35 * scale, mailboxes: agency.mailboxes * scale, pageMs: 190 };
  const { simulator, pages } = startPollAgency(options);
  const dead = deadInstance();
  try {
    await registerPollAgency(sql, simulator, bench);
    const [{ id: connectionId }] = await sql`
      select id::text from public.bison_connections where name = 'bench'`;
    // Only this agency is polled (the health agency's workspaces have no keys).
    const freshness = async () =>
      await sql<{ worst: number | null; median: number | null; unsynced: number }[]>`
        select max(extract(epoch from now() - s.last_complete_sync_at))::float as worst,
               percentile_cont(0.5) within group (
                 order by extract(epoch from now() - s.last_complete_sync_at))::float as median,
               count(*) filter (where s.last_complete_sync_at is null)::int as unsynced
        from public.workspaces w
        left join private.workspace_poll_state s on s.workspace_id = w.id
        where w.connection_id = ${connectionId}::uuid`;
    step(
      `polling ${options.workspaces} workspaces, ${thousands(options.mailboxes)} mailboxes ` +
        `(${thousands(pages)} pages at ${options.pageMs} ms) until every inventory is complete`,
    );
    const started = Date.now();
    const firstCycle = await runSlices(bench, platform, workerPid, async () => {
      const [{ unsynced }] = await freshness();
      return unsynced === 0;
    });
    const fullInventoryS = (Date.now() - started) / 1000;
    const perMinute = busiestMinute(simulator.requests.map((request) => request.at));
    const [{ stored }] = await sql`
      select count(*)::int as stored from public.sender_emails
      where connection_id = ${connectionId}::uuid`;
    if (stored !== options.mailboxes) {
      problems.push(`polling stored ${stored} of ${options.mailboxes} mailboxes`);
    }

    step(`steady state for ${steadyMinutes} minutes: slices as pg_cron and pg_net run them`);
    const samples: { worst: number; median: number }[] = [];
    const steadyUntil = Date.now() + steadyMinutes * 60_000;
    const steady = await runSlices(
      bench,
      platform,
      workerPid,
      () => Promise.resolve(Date.now() >= steadyUntil),
      async () => {
        const [sample] = await freshness();
        samples.push({ worst: sample.worst ?? Infinity, median: sample.median ?? Infinity });
      },
    );
    const measuredSlices = [...firstCycle, ...steady].filter((slice) => slice.usage);
    const usages = measuredSlices.map((slice) => slice.usage!);
    const worstCpu = Math.max(...usages.map((usage) => usage.cpuMs));
    const worstRss = Math.max(...usages.map((usage) => usage.peakRssMb));
    const worstWall = Math.max(...usages.map((usage) => usage.wallMs));
    const half = {
      cpu: hostedLimits.cpuMs / 2,
      rss: hostedLimits.memoryMb / 2,
      wall: hostedLimits.wallMs / 2,
    };
    rows.push({
      what: `poll, per invocation (${measuredSlices.length} slices measured): CPU median / worst`,
      figure: `${median(usages.map((usage) => usage.cpuMs)).toFixed(0)} / ${
        worstCpu.toFixed(0)
      } ms`,
      target: `< ${half.cpu} ms`,
      met: worstCpu < half.cpu,
    });
    rows.push({
      what: "poll, per invocation: peak RSS median / worst",
      figure: `${median(usages.map((usage) => usage.peakRssMb)).toFixed(0)} / ${
        worstRss.toFixed(0)
      } MB`,
      target: `< ${half.rss} MB`,
      met: worstRss < half.rss,
    });
    rows.push({
      what: "poll, per invocation: wall median / worst",
      figure: `${(median(usages.map((usage) => usage.wallMs)) / 1000).toFixed(1)} / ${
        (worstWall / 1000).toFixed(1)
      } s`,
      target: `< ${half.wall / 1000} s, < the 60 s pg_net timeout`,
      met: worstWall < 60_000,
    });
    rows.push({
      what: `poll, a full inventory (${thousands(pages)} pages) from nothing`,
      figure: `${fullInventoryS.toFixed(0)} s, at most ${thousands(perMinute)} requests a minute`,
      target: "≤ 2,500 requests a minute",
      met: perMinute <= 2500,
    });
    const worst = Math.max(...samples.map((sample) => sample.worst));
    rows.push({
      what:
        `poll freshness (time since the last complete sync), steady state, ${samples.length} samples`,
      figure: `worst ${(worst / 60).toFixed(1)} min, median ${
        (median(samples.map((sample) => sample.median)) / 60).toFixed(1)
      } min`,
      target: "a poll interval (5 min) plus one inventory",
    });

    if (withDeadConnection) {
      step("the healthy agency's full inventory again, alone, then beside a dead instance");
      const timedInventory = async () => {
        await sql`
          update private.workspace_poll_state s set next_poll_at = now(), last_complete_sync_at = null
          from public.workspaces w
          where w.id = s.workspace_id and w.connection_id = ${connectionId}::uuid`;
        const from = Date.now();
        await runSlices(
          bench,
          platform,
          workerPid,
          async () => (await freshness())[0].unsynced === 0,
        );
        return (Date.now() - from) / 1000;
      };
      const alone = await timedInventory();
      const deadWorkspaces = 30;
      const connected = await sql`
        insert into public.bison_connections (name, base_url, allow_private_address)
        values ('bench-dead', ${dead.url}, true) returning id`;
      for (let id = 1; id <= deadWorkspaces; id++) {
        const [row] = await sql`
          insert into public.workspaces (connection_id, bison_workspace_id, name)
          values (${connected[0].id}, ${id}, ${`Dead ${id}`}) returning id`;
        await sql`select private.set_workspace_api_key(${row.id}, ${`dead-key-${id}-abcdef`})`;
      }
      const beside = await timedInventory();
      const [breaker] = await sql`
        select breaker_opens from private.connection_poll_state
        where connection_id = ${connected[0].id}`;
      rows.push({
        what:
          `poll, the healthy ${options.workspaces} workspaces' full inventory: alone / beside ` +
          `a dead instance of ${deadWorkspaces}`,
        figure: `${alone.toFixed(1)} / ${beside.toFixed(1)} s (×${(beside / alone).toFixed(2)}; ` +
          `the dead one's breaker opened ${breaker?.breaker_opens ?? 0} times)`,
        target: "unchanged within noise",
        met: beside / alone < 1.15,
      });
    }
  } finally {
    dead.close();
    await simulator.close();
  }
}

// ---------------------------------------------------------------------------------------------

function printTable(scale: number, heapMb?: string) {
  const width = Math.max(...rows.map((row) => row.what.length));
  const figureWidth = Math.max(...rows.map((row) => row.figure.length));
  const machine = `${Deno.build.os}, ${navigator.hardwareConcurrency} cores` +
    (heapMb ? `, functions with a hosted isolate's heap of ${heapMb} MB` : "");
  console.log(
    `\nScale ${scale}: ${35 * scale} workspaces, ${thousands(agency.mailboxes * scale)} ` +
      `mailboxes (finished ${new Date().toISOString()}, ${machine})`,
  );
  for (const row of rows) {
    const verdict = row.target
      ? ` ${row.target}: ${row.met === undefined ? "-" : row.met ? "met" : "MISSED"}`
      : "";
    console.log(`  ${row.what.padEnd(width)}  ${row.figure.padEnd(figureWidth)} ${verdict}`);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      scale: { type: "string", default: "1" },
      events: { type: "string", default: "20000" },
      instances: { type: "string", default: "4" },
      "steady-minutes": { type: "string", default: "6" },
      "dead-connection": { type: "boolean" },
      "no-dead-connection": { type: "boolean" },
      "heap-mb": { type: "string" },
    },
  });
  const scale = positiveOption("scale", values.scale!);
  if (scale !== 1 && scale !== 10) throw new Error("--scale must be 1 or 10");
  const events = positiveOption("events", values.events!);
  const instances = positiveOption("instances", values.instances!);
  const steadyMinutes = positiveOption("steady-minutes", values["steady-minutes"]!);
  const withDeadConnection = values["no-dead-connection"]
    ? false
    : values["dead-connection"] ?? scale === 1;

  const functionEnv: Record<string, string> = values["heap-mb"]
    ? hostedHeapEnv(positiveOption("heap-mb", values["heap-mb"]))
    : {};
  const workers = new Map<string, number>();
  const bench = await startBenchStack(functionEnv, {
    onWorker: (name, pid) => workers.set(name, pid),
  });
  // pg_net's side of the queue belongs to the platform, as on hosted.
  const platform = postgres(platformDbUrl(bench.stack), { max: 1, onnotice: () => {} });
  const sql = postgres(bench.databaseUrl, {
    max: 4,
    prepare: false,
    onnotice: () => {},
    // Seeding millions of rows takes longer than the platform's statement timeout.
    connection: { statement_timeout: 3_600_000, application_name: "bench-scale" },
  });
  try {
    await healthAndProvider(sql, bench, scale);
    await ingest(sql, bench, events, instances);
    await broadcastsAtRate(sql, bench);
    // The poll function's worker, started (and its modules loaded) by a call it refuses.
    await (await fetch(`${bench.functionsUrl}/poll-sender-emails`, { method: "POST", body: "{}" }))
      .body?.cancel();
    const pid = () => {
      const known = workers.get("poll-sender-emails");
      if (!known) throw new Error("poll-sender-emails has no worker");
      return known;
    };
    await polling(sql, platform, bench, scale, pid, steadyMinutes, withDeadConnection);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
    await platform.end({ timeout: 5 }).catch(() => {});
    await bench.close();
  }
  printTable(scale, values["heap-mb"]);
  if (problems.length) {
    console.log(`\nFAILED: the work measured was not done:\n  ${problems.join("\n  ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) await runBenchmark(main);
