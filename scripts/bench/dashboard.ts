// Dashboard benchmark on the bench stack, in Debian's headless Chromium: an agency of 35
// workspaces (17,136 mailboxes polled from the simulator, 30 days of daily metrics) seen by a
// member of all of them. Prints the gzipped size of the JavaScript the browser loads, the first
// meaningful paint of the overview (the frame that shows every client with today's numbers and
// its month against target), when the overview is complete (mailbox health included), and the
// latency from a webhook POST to the changed number on the page over many events.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/dashboard.ts [--loads 10] [--events 200]
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createClient } from "@supabase/supabase-js";
import type { Page } from "playwright-core";
import { roleKey } from "../local/config.ts";
import { buildDashboard, serveDashboard } from "../local/dashboard.ts";
import { launchBrowser, signInToDashboard } from "../local/browser.ts";
import { bisonEvent } from "../simulator/bison-events.ts";
import {
  flushing,
  percentile,
  positiveOption,
  runBenchmark,
  startBenchStack,
} from "./bench-stack.ts";
import { pollBenchScale, pollUntilCaughtUp, registerPollAgency, startPollAgency } from "./poll.ts";
import { seedDailyMetrics } from "./read-model.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    loads: { type: "string", default: "10" },
    events: { type: "string", default: "200" },
  },
});
const loads = positiveOption("loads", values.loads!);
const events = positiveOption("events", values.events!);

/** Every JavaScript file of the build: raw and gzipped bytes. */
async function bundleSize(dir: string) {
  let raw = 0;
  let gzipped = 0;
  for await (const entry of Deno.readDir(join(dir, "assets"))) {
    if (!entry.name.endsWith(".js")) continue;
    const bytes = await Deno.readFile(join(dir, "assets", entry.name));
    raw += bytes.length;
    const compressed = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
    gzipped += (await new Response(compressed).arrayBuffer()).byteLength;
  }
  return { raw, gzipped };
}

/** When the overview's summary line (shown with every client's numbers) was painted, in ms. */
const overviewPaint = `new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const entry = list.getEntries().find((e) => e.identifier === "overview");
    if (entry) resolve({ paint: entry.renderTime || entry.loadTime,
      fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
      complete: performance.getEntriesByName("overview-complete")[0]?.startTime ?? null,
      reads: performance.getEntriesByType("resource")
        .filter((r) => r.name.includes("/rest/v1/") || r.name.includes("/auth/v1/"))
        .map((r) => ({ path: new URL(r.name).pathname, ms: r.duration })) });
  }).observe({ type: "element", buffered: true });
})`;

async function measureLoad(page: Page, url: string) {
  await page.goto(url);
  await page.waitForSelector("[data-complete]", { timeout: 30_000 });
  return await page.evaluate(overviewPaint) as {
    paint: number;
    fcp: number | null;
    complete: number;
    reads: { path: string; ms: number }[];
  };
}

/** In the page: each change of the cell's text, with when it happened (epoch ms). */
const watchCell = (selector: string) =>
  `(() => {
  const seen = (globalThis.__changes = []);
  const cell = document.querySelector(${JSON.stringify(selector)});
  new MutationObserver(() => seen.push({ text: cell.textContent,
    at: performance.timeOrigin + performance.now() })).observe(cell,
    { childList: true, characterData: true, subtree: true });
})()`;

async function main(): Promise<number> {
  const { simulator } = startPollAgency({ ...pollBenchScale, pageMs: 0 });
  const bench = await startBenchStack({}, { clientApis: true });
  const sql = postgres(bench.databaseUrl, { max: 4, prepare: false, onnotice: () => {} });
  // Metric broadcasts are coalesced: a change within a topic's interval of its last message
  // goes out when flush-broadcasts sends it, as its cron job does on a deployed project.
  const flusher = flushing(bench);
  const browser = await launchBrowser();
  const build = join(bench.stack.dir, "dashboard");
  let served: { url: string; close(): Promise<void> } | undefined;
  try {
    console.error(`bench: ${pollBenchScale.workspaces} workspaces, polling their mailboxes...`);
    await registerPollAgency(sql, simulator, bench);
    await pollUntilCaughtUp(bench);
    await seedDailyMetrics(sql);

    const password = `bench-password-${crypto.randomUUID()}`;
    const email = "bench.viewer@example.test";
    const admin = createClient(bench.apiUrl, await roleKey("service_role"), {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
    if (created.error) throw new Error(`creating the user: ${created.error.message}`);
    await sql`insert into public.workspace_members (user_id, workspace_id)
              select ${created.data.user.id}, id from public.workspaces`;

    await buildDashboard(build);
    served = serveDashboard(build, {
      supabaseUrl: bench.apiUrl,
      supabaseAnonKey: await roleKey("anon"),
    });
    const size = await bundleSize(build);

    const page = await browser.context.newPage();
    await signInToDashboard(page, served.url, { email, password });
    await page.waitForSelector("[data-ready]", { timeout: 30_000 });
    const rows = await page.locator("table.clients tbody tr").count();

    // First meaningful paint: a cold load (empty cache) then warm ones, session already stored.
    const session = await browser.context.newCDPSession(page);
    const cold: number[] = [];
    const warm: number[] = [];
    const fcps: number[] = [];
    const completes: number[] = [];
    const readTimes = new Map<string, number[]>();
    for (let load = 0; load < loads; load++) {
      await session.send("Network.clearBrowserCache");
      const coldLoad = await measureLoad(page, served.url);
      cold.push(coldLoad.paint);
      const warmLoad = await measureLoad(page, served.url);
      warm.push(warmLoad.paint);
      if (warmLoad.fcp !== null) fcps.push(warmLoad.fcp);
      completes.push(coldLoad.complete, warmLoad.complete);
      for (const read of [...coldLoad.reads, ...warmLoad.reads]) {
        readTimes.set(read.path, [...readTimes.get(read.path) ?? [], read.ms]);
      }
    }

    // Webhook to screen: one event at a time to the first workspace, timed from the POST to the
    // mutation of its "today: emails sent" cell.
    const [target] = await sql`
      select w.id, w.bison_workspace_id, private.connection_webhook_url(w.connection_id) as url
      from public.workspaces w order by w.id limit 1`;
    const selector = `[data-workspace="${target.id}"] [data-metric="today.emails_sent"]`;
    await page.waitForSelector('[data-connection="live"]', { timeout: 30_000 });
    await page.evaluate(watchCell(selector));
    let shown = Number((await page.textContent(selector))?.replaceAll(",", ""));
    const latencies: number[] = [];
    let nextId = 9_000_000_000 + Math.floor(Math.random() * 1_000_000);
    for (let n = 0; n < events; n++) {
      const expected = (shown + 1).toLocaleString("en-US");
      const sentAt = Date.now();
      const response = await fetch(target.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          bisonEvent("EMAIL_SENT", {
            id: nextId++,
            workspaceId: Number(target.bison_workspace_id),
          }),
        ),
      });
      if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
      await response.body?.cancel();
      const deadline = Date.now() + 10_000;
      let changedAt: number | undefined;
      while (changedAt === undefined && Date.now() < deadline) {
        changedAt = await page.evaluate(
          `globalThis.__changes.find((c) => c.text === ${JSON.stringify(expected)})?.at`,
        ) as number | undefined;
        if (changedAt === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (changedAt === undefined) throw new Error(`event ${n + 1} never reached the page`);
      latencies.push(changedAt - sentAt);
      shown += 1;
    }

    const ms = (list: number[], p: number) =>
      percentile([...list].sort((a, b) => a - b), p).toFixed(0);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
    console.log(`\nDashboard benchmark (${rows} clients on the overview)`);
    const lines = [
      ["JavaScript bundle", `${kb(size.gzipped)} gzipped (${kb(size.raw)} raw; budget 250 kB)`],
      [
        "first meaningful paint, cold",
        `median ${ms(cold, 50)} ms, max ${ms(cold, 100)} ms over ${loads} loads (budget 1000 ms)`,
      ],
      [
        "first meaningful paint, warm",
        `median ${ms(warm, 50)} ms, max ${ms(warm, 100)} ms (first contentful paint ${
          ms(fcps, 50)
        } ms)`,
      ],
      [
        "overview complete",
        `median ${ms(completes, 50)} ms, max ${
          ms(completes, 100)
        } ms (mailbox health included, cold and warm)`,
      ],
      [
        "webhook to screen",
        `p50 ${ms(latencies, 50)} ms, p99 ${ms(latencies, 99)} ms, max ${
          ms(latencies, 100)
        } ms over ${events} events`,
      ],
    ];
    for (const [name, value] of lines) console.log(`  ${name.padEnd(30)} ${value}`);
    console.log("  the overview's reads (as the browser timed them), median:");
    for (const [path, times] of [...readTimes].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`    ${path.padEnd(40)} ${ms(times, 50)} ms`);
    }
    return rows === pollBenchScale.workspaces ? 0 : 1;
  } finally {
    await browser.close();
    await served?.close();
    await flusher.stop();
    await sql.end();
    await bench.close();
    await simulator.close();
  }
}

if (import.meta.main) await runBenchmark(main);
