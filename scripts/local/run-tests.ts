// `npm test`: static checks, then a throwaway stack database built from nothing (platform
// stand-ins, migrations, seed), pgTAP through pg_prove, the Deno tests, and Supabase's own
// database linter. Every step runs even when an earlier one failed, and the last line says how
// many tests passed and failed.
//
// `npm test -- <file>...` runs only the given pgTAP (.sql) or Deno (.ts) test files, still on a
// fresh database.
import { join } from "node:path";
import {
  dbUrl,
  localDatabaseRoles,
  platformDbUrl,
  repoRoot,
  stackConfig,
  stackEnv,
  supabaseCli,
} from "./config.ts";
import {
  cliDatabaseUrl,
  freshDatabase,
  psqlCommand,
  psqlFile,
  startDatabase,
  stopDatabase,
} from "./database.ts";
import { buildDashboard } from "./dashboard.ts";
import { delay, waitFor } from "./process.ts";

interface StepResult {
  name: string;
  ok: boolean;
  passed: number;
  failed: number;
  seconds: number;
  note?: string;
}

const stack = stackConfig("test");
const deno = Deno.execPath();
const results: StepResult[] = [];

/** Runs a command, streaming its output, and returns whether it succeeded and what it printed. */
async function runStreaming(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; output: string }> {
  const child = new Deno.Command(command, {
    args,
    env,
    cwd: repoRoot,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      output += new TextDecoder().decode(chunk);
      await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  return { ok: status.success, output };
}

async function step(
  name: string,
  body: () => Promise<Omit<StepResult, "name" | "seconds">>,
): Promise<boolean> {
  console.log(`\n━━ ${name}`);
  const started = performance.now();
  let result: Omit<StepResult, "name" | "seconds">;
  try {
    result = await body();
  } catch (error) {
    console.error(`✗ ${(error as Error).message}`);
    result = { ok: false, passed: 0, failed: 0, note: "error" };
  }
  const seconds = (performance.now() - started) / 1000;
  results.push({ name, seconds, ...result });
  return result.ok;
}

const commandStep = (ok: boolean) => ({ ok, passed: 0, failed: 0 });

function denoCounts(output: string) {
  const match = [...output.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].pop();
  return { passed: Number(match?.[1] ?? 0), failed: Number(match?.[2] ?? 0) };
}

function proveCounts(output: string) {
  const total = Number(output.match(/Files=\d+, Tests=(\d+)/)?.[1] ?? 0);
  const failedTests = [...output.matchAll(/Failed (\d+)\/\d+ subtests/g)]
    .reduce((sum, match) => sum + Number(match[1]), 0);
  const badFiles = [...output.matchAll(/Wstat: \d+ \(exited (\d+)\)/g)].length;
  return { passed: total - failedTests, failed: failedTests || badFiles };
}

/** Whether pg_cron ran any job in the database, once the runs it had started have ended. */
async function scheduledJobsRan(url: string): Promise<boolean> {
  // A run the scheduler decided on just before the jobs were switched off starts a moment later.
  await delay(1000);
  await waitFor("the scheduled jobs already started to end", async () =>
    await psqlCommand(
      url,
      "select count(*) from cron.job_run_details where status in ('starting', 'running')",
    ).then((count) => count.trim() === "0"), 120_000);
  return (await psqlCommand(url, "select count(*) from cron.job_run_details")).trim() !== "0";
}

/** pg_prove picks its source handler by extension, so the files are listed rather than found. */
function pgTapFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && !entry.name.startsWith("_")) files.push(...pgTapFiles(path));
    else if (entry.isFile && entry.name.endsWith(".test.sql")) files.push(path);
  }
  return files.sort();
}

async function prepareDatabase(): Promise<void> {
  let url = "";
  for (let attempt = 1;; attempt++) {
    await stopDatabase(stack).catch(() => {});
    url = await freshDatabase(stack);
    // The scheduler runs nothing on its own here: a job firing mid-suite would queue requests
    // and record runs under the tests' feet. Tests run a job's command themselves
    // (docs/testing.md). postgres may only read cron.job, as on hosted: its jobs change through
    // cron.alter_job.
    await psqlCommand(url, "select cron.alter_job(jobid, active := false) from cron.job");
    // Debian's pg_cron 1.4 went on launching the switched-off jobs from its cached job list (seen:
    // a health run and its broadcasts ten seconds later, under the pgTAP tests' feet); started
    // again, it reads the list as it is now.
    await stopDatabase(stack);
    await startDatabase(stack);
    // The migrations schedule the jobs active, so a minute that starts while they run lets
    // pg_cron launch some before they are switched off: what they commit would be seen by every
    // test. Such a database is built again.
    if (!(await scheduledJobsRan(url))) break;
    if (attempt === 3) throw new Error("pg_cron ran scheduled jobs during three database builds");
    console.error(
      "  … pg_cron ran a scheduled job while the database was built; building it again",
    );
  }
  // pgTAP and plpgsql_check are privileged extensions: on hosted, supautils creates them as the
  // platform superuser when postgres asks (15_privileged_extensions.sql does that here).
  await psqlCommand(
    platformDbUrl(stack),
    "select supautils_local.create_privileged_extension(e) " +
      "from unnest(array['pgtap', 'plpgsql_check']) e",
  );
  // Everything from here on, the helpers included, runs as postgres.
  await psqlFile(url, join(repoRoot, "supabase", "tests", "_setup", "test_helpers.sql"));
}

async function main(): Promise<number> {
  const selected = Deno.args.filter((arg) => arg !== "--");
  const selectedSql = selected.filter((file) => file.endsWith(".sql"));
  const selectedTs = selected.filter((file) => file.endsWith(".ts"));
  const runAll = selected.length === 0;
  const totalStarted = performance.now();

  if (runAll) {
    await step(
      "deno fmt --check",
      async () => commandStep((await runStreaming(deno, ["fmt", "--check"])).ok),
    );
    await step("deno lint", async () => commandStep((await runStreaming(deno, ["lint"])).ok));
    await step(
      "deno check",
      async () =>
        commandStep((await runStreaming(deno, ["check", "scripts", "supabase/functions"])).ok),
    );
    // Built once here; the browser tests serve this build (supabase/functions/tests/_support).
    await step("dashboard: tsc and vite build", async () => {
      const typed = await runStreaming(join(repoRoot, "node_modules", ".bin", "tsc"), [
        "-p",
        "dashboard",
      ]);
      await buildDashboard(join(stack.dir, "dashboard"));
      return commandStep(typed.ok);
    });
  }

  const databaseReady = await step("fresh database (stand-ins, migrations, seed)", async () => {
    await prepareDatabase();
    console.log(`database ready at ${dbUrl(stack)}`);
    return commandStep(true);
  });

  if (databaseReady) {
    const env = { ...await stackEnv(stack), PGPASSWORD: localDatabaseRoles.postgres };
    if (runAll || selectedSql.length) {
      await step("pgTAP (pg_prove)", async () => {
        const targets = runAll ? pgTapFiles(join(repoRoot, "supabase", "tests")) : selectedSql;
        const { ok, output } = await runStreaming("pg_prove", [
          "--host",
          "127.0.0.1",
          "--port",
          String(stack.dbPort),
          "--username",
          "postgres",
          "--dbname",
          "postgres",
          ...targets,
        ], env);
        return { ok, ...proveCounts(output) };
      });
    }
    if (runAll || selectedTs.length) {
      await step("Deno tests", async () => {
        // What the functions and dispatchers the tests start print, to read after a failure.
        const functionLog = join(stack.logDir, "functions.log");
        await Deno.mkdir(stack.logDir, { recursive: true });
        await Deno.writeTextFile(functionLog, "");
        const { ok, output } = await runStreaming(
          deno,
          // The full run has type-checked every file already (deno check above).
          ["test", "--allow-all", ...(runAll ? ["--no-check"] : []), ...selectedTs],
          { ...env, TEST_FUNCTION_LOG: functionLog },
        );
        if (!ok) console.log(`output of the functions under test: ${functionLog}`);
        return { ok, ...denoCounts(output) };
      });
    }
    if (runAll) {
      await step("supabase db advisors --fail-on warn", async () =>
        commandStep(
          (await runStreaming(supabaseCli, [
            "db",
            "advisors",
            "--db-url",
            cliDatabaseUrl(dbUrl(stack)),
            "--type",
            "all",
            "--level",
            "info",
            "--fail-on",
            "warn",
            "--workdir",
            repoRoot,
          ], { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" })).ok,
        ));
    }
  }
  await stopDatabase(stack).catch(() => {});

  const passed = results.reduce((sum, result) => sum + result.passed, 0);
  // A failed step that counted no failing test (lint, a crash) still counts as one failure.
  const failed = results.reduce((sum, result) => sum + (result.failed || (result.ok ? 0 : 1)), 0);
  const failedSteps = results.filter((result) => !result.ok);
  console.log("\n━━ summary");
  for (const result of results) {
    const counts = result.passed || result.failed
      ? ` (${result.passed} passed, ${result.failed} failed)`
      : "";
    console.log(
      `${result.ok ? "✓" : "✗"} ${result.name}${counts} ${result.seconds.toFixed(1)} s`,
    );
  }
  const totalSeconds = ((performance.now() - totalStarted) / 1000).toFixed(1);
  console.log(
    `${failedSteps.length ? "FAILED" : "OK"}: ${
      results.length - failedSteps.length
    } of ${results.length} steps in ${totalSeconds} s`,
  );
  console.log(`tests: ${passed} passed, ${failed} failed`);
  return failedSteps.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
