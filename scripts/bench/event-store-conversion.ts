// What converting a populated private.webhook_events to daily partitions costs, and what ingest
// sees meanwhile: the bench stack is built with the released migrations only (supabase/
// migrations.lock), --events events are stored the old way (the benchmark traffic's bodies, spread
// over the last 30 days), then the migrations after the release are applied one by one, as `db
// push` would, while deliveries keep arriving through private.ingest_webhook_event. It prints,
// per migration, how long it took and the slowest delivery meanwhile, then checks that nothing was
// lost, that every key is in the ledger and that an old event delivered again is a duplicate.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/event-store-conversion.ts [--events 1000000]
//
// Runs on the bench stack (.local/bench, fsync on; never two benchmarks at once) and stops it at
// the end. Exit 1 when something was lost or counted twice.
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { dbUrl, repoRoot, stackConfig } from "../local/config.ts";
import { applyMigrations, applyPlatform, applySeed, stopDatabase } from "../local/database.ts";
import { ensureCluster, removeCluster } from "../local/postgres.ts";
import { startDatabase } from "../local/database.ts";
import { assertBenchStackFree, percentile, positiveOption, runBenchmark } from "./bench-stack.ts";
import { connectBison, generateTraffic, recentLocalDays } from "./webhook.ts";

const migrationsDir = join(repoRoot, "supabase", "migrations");

/** The migrations of the latest release, from the lock file; and those written since. */
function releasedAndNew(): { released: string[]; since: string[] } {
  const lock = Deno.readTextFileSync(join(repoRoot, "supabase", "migrations.lock"));
  const released = new Set(
    lock.split("\n").map((line) => line.match(/^[0-9a-f]{64}\s+(\S+\.sql)$/)?.[1])
      .filter((name): name is string => !!name),
  );
  const all = [...Deno.readDirSync(migrationsDir)].map((entry) => entry.name)
    .filter((name) => name.endsWith(".sql")).sort();
  return {
    released: all.filter((name) => released.has(name)),
    since: all.filter((name) => !released.has(name)),
  };
}

/** A workdir whose supabase/migrations holds the given files (the CLI applies what is pending). */
function workdirWith(dir: string, files: string[]) {
  const target = join(dir, "supabase", "migrations");
  Deno.mkdirSync(target, { recursive: true });
  Deno.copyFileSync(
    join(repoRoot, "supabase", "config.toml"),
    join(dir, "supabase", "config.toml"),
  );
  for (const file of files) Deno.copyFileSync(join(migrationsDir, file), join(target, file));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { events: { type: "string", default: "1000000" } },
  });
  const events = positiveOption("events", values.events!);
  const stack = stackConfig("bench");
  await assertBenchStackFree(stack);
  const workdir = Deno.makeTempDirSync({ prefix: "event-store-conversion-" });
  const { released, since } = releasedAndNew();
  const problems: string[] = [];
  let sql: postgres.Sql | undefined;
  try {
    console.error(`• bench stack at the release (${released.length} migrations)`);
    await removeCluster(stack);
    await ensureCluster(stack);
    await startDatabase(stack);
    await applyPlatform(stack);
    workdirWith(workdir, released);
    await applyMigrations(dbUrl(stack), workdir);
    await applySeed(dbUrl(stack));
    sql = postgres(dbUrl(stack), {
      max: 4,
      prepare: false,
      onnotice: () => {},
      connection: { statement_timeout: 3_600_000, application_name: "bench-conversion" },
    });

    const connection = await connectBison(stack, "conversion");
    const traffic = generateTraffic(2000, 3, await recentLocalDays(sql));
    const samples = traffic.bodies.slice(0, 1000);
    console.error(`• storing ${events.toLocaleString("en")} events the released way`);
    const started = performance.now();
    await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      select ${connection.connection_id}, 101 + n, 'Client ' || (101 + n)
      from generate_series(0, 7) n`;
    const batch = 100_000;
    for (let first = 0; first < events; first += batch) {
      await sql`
        insert into private.webhook_events (connection_id, workspace_id, event_type,
          idempotency_key, payload, received_at, occurred_at, status, attempts, processed_at)
        select ${connection.connection_id}, w.id, lower(b.body #>> '{event,type}'),
               ${connection.connection_id} || ':old:' || n, b.body,
               now() - make_interval(secs => 30 * 86400.0 * n / ${events}), now(), 'processed',
               1, now()
        from generate_series(${first}::int, ${Math.min(events, first + batch) - 1}::int) n
        join (select row_number() over () - 1 as i, body::jsonb as body
              from unnest(${samples}::text[]) body) b on b.i = n % ${samples.length}
        join public.workspaces w
          on w.connection_id = ${connection.connection_id}
         and w.bison_workspace_id = (b.body #>> '{event,workspace_id}')::bigint`;
    }
    await sql`analyze private.webhook_events`;
    const [{ stored, bytes }] = await sql`
      select count(*)::int as stored,
             pg_total_relation_size('private.webhook_events')::bigint as bytes
      from private.webhook_events`;
    console.error(
      `  ${stored.toLocaleString("en")} events, ${(Number(bytes) / 1e9).toFixed(2)} GB, in ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s`,
    );

    // Deliveries keep arriving, one at a time, throughout.
    const fresh = generateTraffic(50_000, 4, await recentLocalDays(sql)).bodies;
    const ingest = postgres(dbUrl(stack), { max: 1, prepare: false, onnotice: () => {} });
    const latencies: { at: number; ms: number }[] = [];
    let delivering = true;
    let next = 0;
    const deliveries = (async () => {
      while (delivering && next < fresh.length) {
        const at = performance.now();
        await ingest`
          select private.ingest_webhook_event(${connection.tokenSha256},
                                              ${fresh[next++]}::text::jsonb)`;
        latencies.push({ at, ms: performance.now() - at });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const rows: string[][] = [];
    const applied = [...released];
    for (const migration of since) {
      applied.push(migration);
      workdirWith(workdir, applied);
      const from = performance.now();
      await applyMigrations(dbUrl(stack), workdir);
      const to = performance.now();
      const during = latencies.filter((entry) => entry.at >= from && entry.at <= to)
        .map((entry) => entry.ms).sort((a, b) => a - b);
      rows.push([
        migration,
        ((to - from) / 1000).toFixed(1),
        String(during.length),
        during.length ? percentile(during, 50).toFixed(0) : "-",
        during.length ? during[during.length - 1].toFixed(0) : "-",
      ]);
      console.error(`  ${migration}: ${((to - from) / 1000).toFixed(1)} s`);
    }
    delivering = false;
    await deliveries;
    await ingest.end();

    // Nothing lost, nothing counted twice.
    const [after] = await sql`
      select (select count(*)::int from private.webhook_events) as events,
             (select count(*)::int from private.webhook_event_keys) as keys`;
    if (after.events !== stored + next) {
      problems.push(`${after.events} events stored, ${stored} + ${next} delivered`);
    }
    if (after.keys !== after.events) problems.push(`${after.keys} keys for ${after.events} events`);
    const [old] = await sql`
      select payload::text as body from private.webhook_events order by id limit 1`;
    const [again] = await sql`
      select private.ingest_webhook_event(${connection.tokenSha256}, ${old.body}::text::jsonb)
        ->> 'outcome' as outcome`;
    if (again.outcome !== "duplicate") {
      problems.push(`an event stored before the conversion, delivered again: ${again.outcome}`);
    }
    const partitions = await sql`select partition::text from private.webhook_event_partitions()`;

    const header = ["migration", "seconds", "deliveries", "p50 ms", "slowest ms"];
    const widths = header.map((title, i) =>
      Math.max(title.length, ...rows.map((r) => r[i].length))
    );
    const line = (cells: string[]) =>
      cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join(
        "  ",
      );
    console.log(
      `\nConverting ${stored.toLocaleString("en")} stored events ` +
        `(${(Number(bytes) / 1e9).toFixed(2)} GB) while deliveries arrive every 20 ms`,
    );
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log(
      `after: ${after.events.toLocaleString("en")} events, ${after.keys.toLocaleString("en")} ` +
        `keys, ${partitions.length} partitions (${partitions[0].partition} first); an old event ` +
        `delivered again: ${again.outcome}`,
    );
    if (problems.length) {
      console.log(`\nFAILED:\n  ${problems.join("\n  ")}`);
      return 1;
    }
    return 0;
  } finally {
    await sql?.end({ timeout: 5 }).catch(() => {});
    await stopDatabase(stack).catch(() => {});
    await Deno.remove(workdir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await runBenchmark(main);
