// Mailbox polling benchmark: the simulator with 35 workspaces, 17,136 mailboxes and 190 ms a
// page, one full poll (slice after slice of poll-sender-emails) on the bench stack. Prints the
// wall time, the time spent writing to the database, and the ratio to the sequential page-time
// lower bound.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/poll.ts [--workspaces 35]
//     [--mailboxes 17136] [--page-ms 190] [--concurrency 12]
import { parseArgs } from "node:util";
import postgres from "postgres";
import { bisonCliResult } from "../local/bison-cli.ts";
import { startBenchStack } from "./bench-stack.ts";
import {
  type BisonSimulator,
  generateMailboxes,
  startBisonSimulator,
} from "../simulator/bison-simulator.ts";

/** The polling benchmark's agency: `workspaces` workspaces sharing `mailboxes` mailboxes. */
export interface PollAgencyOptions {
  workspaces: number;
  mailboxes: number;
  /** The simulator's latency per page, in ms. */
  pageMs: number;
}

/** The scale the benchmarks poll at: an agency at full size, Bison answering a page in 190 ms. */
export const pollBenchScale: PollAgencyOptions = { workspaces: 35, mailboxes: 17_136, pageMs: 190 };

/** A simulated Bison holding the agency, and how many pages a full poll fetches. */
export function startPollAgency(options: PollAgencyOptions) {
  const sizes = Array.from(
    { length: options.workspaces },
    (_, index) =>
      Math.floor(options.mailboxes / options.workspaces) +
      (index < options.mailboxes % options.workspaces ? 1 : 0),
  );
  let nextId = 1;
  const simulator = startBisonSimulator({
    latencyMs: options.pageMs,
    workspaces: sizes.map((size, index) => {
      const mailboxes = generateMailboxes(size, nextId);
      nextId += size;
      return {
        id: index + 1,
        name: `Client ${index + 1}`,
        apiKey: `bench-key-${index + 1}`,
        mailboxes,
      };
    }),
  });
  const pages = sizes.reduce((sum, size) => sum + Math.max(1, Math.ceil(size / 15)), 0);
  return { simulator, pages };
}

/**
 * Connects the simulated agency as an operator does (`bison connect`, which also gives the
 * connection its webhook URL; the simulator is on this machine, hence --allow-private-address),
 * then gives every workspace its key.
 */
export async function registerPollAgency(
  sql: postgres.Sql,
  simulator: BisonSimulator,
  bench: { databaseUrl: string; functionsUrl: string },
) {
  const connection = await bisonCliResult<{ connection_id: string }>(
    ["connect", "--name", "bench", "--base-url", simulator.url, "--allow-private-address"],
    { SUPABASE_DB_URL: bench.databaseUrl, SUPABASE_FUNCTIONS_URL: bench.functionsUrl },
  );
  for (const workspace of simulator.workspaces) {
    const [row] = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connection.connection_id}, ${workspace.id}, ${workspace.name}) returning id`;
    await sql`select private.set_workspace_api_key(${row.id}, ${workspace.apiKey})`;
  }
}

/** What the slices of one full poll did, together. */
export interface PollTotals {
  slices: number;
  workspaces: number;
  pages: number;
  db_write_ms: number;
  failed: unknown[];
}

/**
 * Polls until no workspace is due: one slice after another, each called as the cron job calls
 * it (pg_net does not run on the bench stack, so the slices a slice queues are called here).
 */
export async function pollUntilCaughtUp(
  bench: { functionsUrl: string; cronSecret: string },
): Promise<PollTotals> {
  const totals: PollTotals = { slices: 0, workspaces: 0, pages: 0, db_write_ms: 0, failed: [] };
  while (true) {
    const response = await fetch(`${bench.functionsUrl}/poll-sender-emails`, {
      method: "POST",
      headers: { "x-cron-secret": bench.cronSecret, "content-type": "application/json" },
      body: "{}",
    });
    const slice = await response.json();
    if (!response.ok) throw new Error(`poll answered ${response.status}: ${JSON.stringify(slice)}`);
    if (slice.connection === null) return totals;
    totals.slices++;
    totals.workspaces += slice.workspaces;
    totals.pages += slice.pages;
    totals.db_write_ms += slice.db_write_ms;
    totals.failed.push(...slice.failed);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      workspaces: { type: "string", default: String(pollBenchScale.workspaces) },
      mailboxes: { type: "string", default: String(pollBenchScale.mailboxes) },
      "page-ms": { type: "string", default: String(pollBenchScale.pageMs) },
      concurrency: { type: "string", default: "12" },
    },
  });
  const workspaceCount = Number(values.workspaces);
  const mailboxCount = Number(values.mailboxes);
  const pageMs = Number(values["page-ms"]);
  const target = { wallSeconds: 30, dbWriteSeconds: 2 };

  const { simulator, pages } = startPollAgency({
    workspaces: workspaceCount,
    mailboxes: mailboxCount,
    pageMs,
  });
  const bench = await startBenchStack({ POLL_CONCURRENCY: values.concurrency! });
  const sql = postgres(bench.databaseUrl, { max: 2, prepare: false, onnotice: () => {} });
  let exitCode = 0;
  try {
    await registerPollAgency(sql, simulator, bench);
    const lowerBoundSeconds = (pages * pageMs) / 1000;
    console.error(
      `bench: polling ${workspaceCount} workspaces, ${mailboxCount} mailboxes, ${pages} pages at ${pageMs} ms...`,
    );

    const started = performance.now();
    const summary = await pollUntilCaughtUp(bench);
    const wallSeconds = (performance.now() - started) / 1000;

    const [stored] = await sql`
    select count(*)::int as mailboxes,
           (select count(*)::int from public.sender_email_sync_runs where complete) as complete_runs
    from public.sender_emails`;
    const correct = stored.mailboxes === mailboxCount && stored.complete_runs === workspaceCount &&
      summary.failed.length === 0;
    const dbWriteSeconds = summary.db_write_ms / 1000;
    const rows = [
      ["workspaces polled", `${summary.workspaces} (${stored.complete_runs} complete)`],
      ["mailboxes stored", `${stored.mailboxes} of ${mailboxCount}`],
      ["pages fetched", `${summary.pages} of ${pages}, in ${summary.slices} slices`],
      ["wall time of the poll", `${wallSeconds.toFixed(1)} s (target < ${target.wallSeconds} s)`],
      [
        "time writing to the database",
        `${dbWriteSeconds.toFixed(2)} s (target < ${target.dbWriteSeconds} s)`,
      ],
      ["sequential page-time lower bound", `${lowerBoundSeconds.toFixed(0)} s`],
      ["lower bound ÷ wall time", `${(lowerBoundSeconds / wallSeconds).toFixed(1)}×`],
      ["concurrency", values.concurrency!],
    ];
    console.log("\nMailbox poll benchmark");
    for (const [name, value] of rows) console.log(`  ${name.padEnd(34)} ${value}`);
    const met = wallSeconds < target.wallSeconds && dbWriteSeconds < target.dbWriteSeconds;
    console.log(`  ${"targets".padEnd(34)} ${met ? "met" : "NOT met"}`);
    if (!correct) {
      console.log("  counts are WRONG: " + JSON.stringify({ stored, failed: summary.failed }));
      exitCode = 1;
    }
  } finally {
    await sql.end();
    await bench.close();
    await simulator.close();
  }
  return exitCode;
}

if (import.meta.main) Deno.exit(await main());
