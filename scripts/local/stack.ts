// `npm start`, `npm stop`: the local development stack (PostgreSQL with the platform stand-ins and
// migrations, PgBouncer in front of it, the pg_net dispatcher, the functions gateway) at fixed
// addresses, the Supabase CLI's where it has one.
import { join } from "node:path";
import {
  apiUrl,
  dbUrl,
  formatEnv,
  functionsUrl,
  platformDbUrl,
  poolerUrl,
  repoRoot,
  type StackConfig,
  stackConfig,
  stackEnv,
} from "./config.ts";
import { bisonCliResult } from "./bison-cli.ts";
import {
  applyMigrations,
  applyPlatform,
  applySeed,
  psqlCommand,
  startDatabase,
  stopDatabase,
} from "./database.ts";
import { ensureCluster, pgPaths, postgresRunning, removeCluster } from "./postgres.ts";
import { poolerRunning } from "./pooler.ts";
import { readPid, spawnDetached, stopPidFile, waitFor } from "./process.ts";

/** The demo Email Bison that `npm start` runs when no real one is connected. */
const demoSimulatorPort = 54329;

const services = ["dispatcher", "gateway", "simulator"] as const;
type Service = typeof services[number];

const pidFile = (stack: StackConfig, service: Service) => join(stack.pidDir, `${service}.pid`);
const logFile = (stack: StackConfig, service: Service) => join(stack.logDir, `${service}.log`);

async function gatewayHealthy(stack: StackConfig): Promise<boolean> {
  try {
    const response = await fetch(`${apiUrl(stack)}/health`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

const serviceScripts: Record<Service, string[]> = {
  dispatcher: ["scripts/local/dispatcher.ts"],
  gateway: ["scripts/local/gateway.ts"],
  simulator: ["scripts/simulator/bison-simulator.ts", "--port", String(demoSimulatorPort)],
};

async function startService(
  stack: StackConfig,
  service: Service,
  extraEnv: Record<string, string> = {},
): Promise<void> {
  if (await readPid(pidFile(stack, service))) return;
  const env = {
    ...await stackEnv(stack),
    GATEWAY_PORT: String(stack.apiPort),
    FUNCTIONS_ENV_FILE: join(repoRoot, "supabase", "functions", ".env"),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
    ...extraEnv,
  };
  const [script, ...args] = serviceScripts[service];
  await spawnDetached(
    Deno.execPath(),
    ["run", "--allow-all", join(repoRoot, script), ...args],
    { env, logFile: logFile(stack, service), pidFile: pidFile(stack, service) },
  );
}

async function bisonCli(stack: StackConfig, args: string[]): Promise<Record<string, unknown>> {
  return await bisonCliResult(args, await stackEnv(stack));
}

/**
 * With no real Email Bison connected, the local simulator plays one, so a newcomer sees mailboxes
 * synced and webhooks rolling into metrics within a minute, with no account anywhere.
 */
async function startDemo(stack: StackConfig): Promise<string | null> {
  const [{ real, demo }] = (await psqlCommand(
    dbUrl(stack),
    "select json_build_object('real', count(*) filter (where name <> 'demo'), " +
      "'demo', count(*) filter (where name = 'demo')) from public.bison_connections",
  ).then((text) => [JSON.parse(text)])) as { real: number; demo: number }[];
  if (real > 0) return null;
  if (await readPid(pidFile(stack, "simulator"))) return "running";
  const connection = demo
    ? await bisonCli(stack, ["rotate-token", "--connection", "demo"])
    : await bisonCli(stack, [
      "connect",
      "--name",
      "demo",
      "--base-url",
      `http://127.0.0.1:${demoSimulatorPort}`,
      "--timezone",
      "America/Chicago",
    ]);
  for (const workspace of [1, 2, 3]) {
    await bisonCli(stack, [
      "add-workspace",
      "--connection",
      "demo",
      "--workspace-id",
      String(workspace),
      "--name",
      `Demo client ${workspace}`,
      "--api-key",
      `demo-workspace-key-${workspace}`,
    ]);
  }
  await startService(stack, "simulator", { DEMO_WEBHOOK_URL: String(connection.webhook_url) });
  await waitFor("the Bison simulator", async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${demoSimulatorPort}/api/workspaces/v1.1`);
      await response.body?.cancel();
      return response.status === 401;
    } catch {
      return false;
    }
  });
  await bisonCli(stack, ["poll"]);
  return "started";
}

export async function startStack(stack: StackConfig): Promise<void> {
  await Deno.mkdir(stack.pidDir, { recursive: true });
  await Deno.mkdir(stack.logDir, { recursive: true });
  const created = await ensureCluster(stack);
  step(created ? "created the PostgreSQL 15 cluster" : "PostgreSQL 15 cluster present");
  await startDatabase(stack);
  step(`PostgreSQL listening on ${stack.dbPort}, PgBouncer on ${stack.poolerPort}`);
  await assertPlatformRoles(stack);
  await applyPlatform(stack);
  await applyMigrations(dbUrl(stack));
  step("platform stand-ins and migrations applied");
  if (created) {
    await applySeed(dbUrl(stack));
    step("seed loaded");
  }
  await startService(stack, "dispatcher");
  await startService(stack, "gateway");
  await waitFor(
    `the functions gateway on port ${stack.apiPort} (see ${logFile(stack, "gateway")})`,
    () => gatewayHealthy(stack),
  );
  step("pg_net dispatcher and functions gateway running");
  await Deno.writeTextFile(stack.envFile, formatEnv(await stackEnv(stack)));
  if (stack.name === "dev" && Deno.env.get("BISON_DEMO") !== "off") {
    const demo = await startDemo(stack);
    if (demo) {
      step(
        `demo: a simulated Email Bison on http://127.0.0.1:${demoSimulatorPort} (3 workspaces) ` +
          "is sending webhooks; mailboxes synced",
      );
    }
  }
}

export async function stopStack(stack: StackConfig): Promise<string[]> {
  const stopped: string[] = [];
  for (const service of [...services].reverse()) {
    if (await stopPidFile(pidFile(stack, service))) stopped.push(service);
  }
  stopped.push(...await stopDatabase(stack));
  return stopped;
}

/**
 * A database created before the stack reproduced hosted Supabase's roles has `postgres` as its
 * superuser and no supabase_admin: it cannot be upgraded in place, only rebuilt.
 */
async function assertPlatformRoles(stack: StackConfig): Promise<void> {
  try {
    await psqlCommand(platformDbUrl(stack), "select 1");
  } catch {
    throw new Error(
      `the local database (${(await pgPaths(stack)).data}) predates the platform superuser ` +
        "supabase_admin (postgres is no longer a superuser, as on hosted Supabase). Rebuild it " +
        "with `npm run reset`: this deletes the local data, then loads the seed again.",
    );
  }
}

function step(message: string) {
  console.error(`  ✓ ${message}`);
}

async function printStatus(stack: StackConfig): Promise<void> {
  const env = await stackEnv(stack);
  const running = {
    postgres: await postgresRunning(stack),
    pgbouncer: await poolerRunning(stack),
    dispatcher: (await readPid(pidFile(stack, "dispatcher"))) !== null,
    gateway: await gatewayHealthy(stack),
    "demo simulator": (await readPid(pidFile(stack, "simulator"))) !== null,
  };
  console.log(`
  Local stack (${Object.entries(running).map(([k, v]) => `${k}: ${v ? "up" : "down"}`).join(", ")})

         Database URL: ${dbUrl(stack)}
           Pooler URL: ${poolerUrl(stack)} (transaction mode; what functions use)
              API URL: ${apiUrl(stack)}   (a frontend's SUPABASE_URL)
        Functions URL: ${functionsUrl(stack)}/<name>
             Auth URL: ${apiUrl(stack)}/auth/v1   (JWKS: /auth/v1/.well-known/jwks.json)
             anon key: ${env.SUPABASE_ANON_KEY}   (a frontend's key)
     service_role key: ${env.SUPABASE_SERVICE_ROLE_KEY}
             Env file: ${stack.envFile}
                 Logs: ${stack.logDir}/ (postgres.log, pgbouncer.log, gateway.log, dispatcher.log)

  Stop it with: npm stop
`);
}

if (import.meta.main) {
  const stack = stackConfig("dev");
  const [command] = Deno.args;
  try {
    switch (command) {
      case "start":
        console.error("Starting the local stack...");
        await startStack(stack);
        await printStatus(stack);
        break;
      case "stop": {
        const stopped = await stopStack(stack);
        console.log(stopped.length ? `Stopped: ${stopped.join(", ")}.` : "Nothing was running.");
        break;
      }
      case "status":
        await printStatus(stack);
        break;
      case "reset":
        await stopStack(stack);
        await removeCluster(stack);
        console.error(`Removed the local database (${(await pgPaths(stack)).data}).`);
        await startStack(stack);
        await printStatus(stack);
        break;
      default:
        console.error("usage: stack.ts start|stop|status|reset");
        Deno.exit(2);
    }
  } catch (error) {
    console.error(`\n✗ ${(error as Error).message}`);
    Deno.exit(1);
  }
}
