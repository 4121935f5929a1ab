// The benchmarks' own stack (.local/bench, database 54342, functions 54341): built from nothing
// like `npm test`'s, but durable like a hosted database (fsync on), and never dev or test data.
import {
  apiUrl,
  dbUrl,
  functionEnv as stackFunctionEnv,
  functionsUrl,
  localCronSecret,
  localJwtSecret,
  platformDbUrl,
  roleKey,
  type StackConfig,
  stackConfig,
} from "../local/config.ts";
import type postgres from "postgres";
import { freshDatabase, stopDatabase } from "../local/database.ts";
import { type GatewayOptions, startGateway } from "../local/gateway.ts";
import { localApiServices, stackApiContext } from "../local/api-services.ts";
import { pgPaths, postgresRunning } from "../local/postgres.ts";

/**
 * Every benchmark rebuilds the same .local/bench database: refuses to start while one is running
 * there, rather than wipe it under another benchmark. Call it before anything that would stop it.
 */
export async function assertBenchStackFree(stack: StackConfig): Promise<void> {
  if (!(await postgresRunning(stack))) return;
  throw new Error(
    `the bench database (${stack.dir}, port ${stack.dbPort}) is running: another benchmark is ` +
      `using it, so run one at a time. If none is running, stop it with: ` +
      `pg_ctl stop -D ${(await pgPaths(stack)).data}`,
  );
}

/**
 * With `clientApis`, the gateway also serves /realtime/v1 and the other client APIs; `onWorker`
 * is told each function worker's pid.
 */
export async function startBenchStack(
  functionEnv: Record<string, string> = {},
  { clientApis = false, onWorker }: { clientApis?: boolean } & Pick<GatewayOptions, "onWorker"> =
    {},
) {
  const stack = stackConfig("bench");
  await assertBenchStackFree(stack);
  console.error("bench: building a fresh database (.local/bench)...");
  await freshDatabase(stack);
  const services = clientApis
    ? await localApiServices(
      await stackApiContext({
        databaseUrl: dbUrl(stack),
        platformDatabaseUrl: platformDbUrl(stack),
        apiUrl: apiUrl(stack),
        jwtSecret: localJwtSecret,
        signingKeysFile: stack.signingKeysFile,
        log: () => {},
      }),
    )
    : [];
  const gateway = await startGateway({
    services,
    onWorker,
    apiKeys: [await roleKey("anon"), await roleKey("service_role")],
    port: stack.apiPort,
    jwtSecret: localJwtSecret,
    env: { ...await stackFunctionEnv(stack), ...functionEnv },
    log: () => {},
  });
  return {
    stack,
    databaseUrl: dbUrl(stack),
    functionsUrl: functionsUrl(stack),
    apiUrl: apiUrl(stack),
    cronSecret: localCronSecret,
    async close() {
      await gateway.close();
      await stopDatabase(stack);
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The calendar day `days` after an ISO day (negative goes back), as the database counts days. */
export async function addDay(sql: postgres.Sql, isoDay: string, days = 1): Promise<string> {
  const [{ day }] = await sql`select (${isoDay}::date + ${days}::integer)::text as day`;
  return day;
}

/** A command-line option that must be a whole number of at least 1; throws naming the option. */
export function positiveOption(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer, got ${raw}`);
  }
  return value;
}

/** Runs a benchmark's main: its exit code, or 1 with the error's message when it throws. */
export async function runBenchmark(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`\n✗ ${(error as Error).message}`);
    Deno.exit(1);
  }
}

/**
 * Calls flush-broadcasts again and again, as its cron job does on a deployed project (pg_cron does
 * not call functions on the bench stack), until stopped: the trailing edge of every coalesced
 * metric broadcast goes out.
 */
export function flushing(bench: { functionsUrl: string; cronSecret: string }) {
  let running = true;
  const loop = (async () => {
    while (running) {
      const response = await fetch(`${bench.functionsUrl}/flush-broadcasts`, {
        method: "POST",
        headers: { "x-cron-secret": bench.cronSecret, "content-type": "application/json" },
        body: JSON.stringify({ seconds: 5 }),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`flush-broadcasts answered ${response.status}`);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
