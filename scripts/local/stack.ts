// `npm start`, `npm stop`: the local development stack (PostgreSQL with the platform stand-ins and
// migrations, PgBouncer in front of it, the pg_net dispatcher, the functions gateway, the
// dashboard) at fixed addresses, the Supabase CLI's where it has one.
import { join } from "node:path";
import {
  apiUrl,
  dbUrl,
  formatEnv,
  functionsUrl,
  platformDbUrl,
  poolerUrl,
  readEnvFile,
  repoRoot,
  type StackConfig,
  stackConfig,
  stackEnv,
} from "./config.ts";
import { bisonCliResult, runBisonCli } from "./bison-cli.ts";
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
import { buildDashboard, demoUser, devDashboardPort } from "./dashboard.ts";

/** The demo Email Bison that `npm start` runs when no real one is connected. */
const demoSimulatorPort = 54329;
/** The demo instance's super-admin key: a local fake, known to the simulator only. */
const demoSuperAdminKey = "demo-super-admin-key-not-a-secret";

const services = ["dispatcher", "gateway", "simulator", "dashboard"] as const;
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

/** Where `npm start` builds the dashboard, which its static server serves. */
const dashboardBuildDir = join(stackConfig("dev").dir, "dashboard");
const dashboardUrl = `http://127.0.0.1:${devDashboardPort}`;

const serviceScripts: Record<Service, string[]> = {
  dispatcher: ["scripts/local/dispatcher.ts"],
  gateway: ["scripts/local/gateway.ts"],
  simulator: [
    "scripts/simulator/bison-simulator.ts",
    "--port",
    String(demoSimulatorPort),
    "--super-admin-key",
    demoSuperAdminKey,
  ],
  dashboard: [
    "scripts/local/dashboard.ts",
    "--port",
    String(devDashboardPort),
    "--dir",
    dashboardBuildDir,
  ],
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
 * synced and webhooks rolling into metrics within a minute, with no account anywhere. Once a real
 * instance is connected, the demo connection is gone with its data (`bison connect` removes it;
 * one left from before is removed here). Returns what to tell the operator.
 */
/** BISON_DEMO=off: no demo runs, so no demo connection may stay behind failing every poll. */
async function removeDemo(stack: StackConfig): Promise<string> {
  await stopPidFile(pidFile(stack, "simulator"));
  const removed = await psqlCommand(
    dbUrl(stack),
    "select count(private.purge_connection(id)) from public.bison_connections where name = 'demo'",
  );
  return "demo: off (BISON_DEMO=off)" +
    (removed.trim() !== "0" ? "; removed the demo connection and its data" : "");
}

async function startDemo(stack: StackConfig): Promise<string> {
  const [{ real, demo }] = (await psqlCommand(
    dbUrl(stack),
    "select json_build_object('real', count(*) filter (where name <> 'demo'), " +
      "'demo', count(*) filter (where name = 'demo')) from public.bison_connections",
  ).then((text) => [JSON.parse(text)])) as { real: number; demo: number }[];
  if (real > 0) {
    if (demo) {
      await psqlCommand(
        dbUrl(stack),
        "select private.purge_connection(id) from public.bison_connections where name = 'demo'",
      );
    }
    await stopPidFile(pidFile(stack, "simulator"));
    return `demo: not started, ${real} real Email Bison connection(s) configured` +
      (demo ? "; removed the demo connection and its data" : "");
  }
  if (await readPid(pidFile(stack, "simulator"))) return "demo: running";
  // The demo's webhook URL is kept in Vault; a demo made before that is made again.
  const webhookUrl = demo
    ? (await psqlCommand(
      dbUrl(stack),
      "select coalesce(private.connection_webhook_url(id), '') from public.bison_connections " +
        "where name = 'demo'",
    )).trim()
    : "";
  if (demo && !webhookUrl) {
    await psqlCommand(
      dbUrl(stack),
      "select private.purge_connection(id) from public.bison_connections where name = 'demo'",
    );
  }
  const connection = webhookUrl ? { webhook_url: webhookUrl } : await bisonCli(stack, [
    "connect",
    "--demo",
    "--name",
    "demo",
    "--base-url",
    `http://127.0.0.1:${demoSimulatorPort}`,
    "--timezone",
    "America/Chicago",
    "--allow-private-address",
    "--no-check",
  ]);
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
  // As an operator would: one super-admin key onboards the instance (keys, webhooks, history).
  // A restarted simulator has forgotten its keys and webhooks; onboarding again repairs both.
  await bisonCli(stack, [
    "onboard",
    "--connection",
    "demo",
    "--api-key",
    demoSuperAdminKey,
    "--earlier-days",
    "7",
  ]);
  const polled = await runBisonCli(["poll"], await stackEnv(stack));
  if (polled.code !== 0) console.error(`  ! demo: the first poll failed: ${polled.stderr.trim()}`);
  return `demo: a simulated Email Bison on http://127.0.0.1:${demoSimulatorPort} (3 workspaces) ` +
    "is onboarded, its history backfilled, its webhooks arriving and its mailboxes synced " +
    "(BISON_DEMO=off skips it; connecting a real instance removes it)";
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
  if (stack.name === "dev") {
    step(Deno.env.get("BISON_DEMO") === "off" ? await removeDemo(stack) : await startDemo(stack));
    step(await startDashboard(stack));
  }
}

async function dashboardAnswers(): Promise<boolean> {
  try {
    const response = await fetch(`${dashboardUrl}/config.json`, {
      signal: AbortSignal.timeout(1000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Builds the dashboard when its sources changed, serves it, and makes the demo login a member
 * (not an agency admin) of the demo's workspaces, through Auth's admin API as an operator would.
 * Its URL and the demo login go to the env file beside the stack's other values.
 */
async function startDashboard(stack: StackConfig): Promise<string> {
  const built = await buildDashboard(dashboardBuildDir);
  await startService(stack, "dashboard");
  await waitFor(
    `the dashboard on port ${devDashboardPort} (see ${logFile(stack, "dashboard")})`,
    dashboardAnswers,
  );
  const [{ workspaces, joined }] = JSON.parse(
    await psqlCommand(
      dbUrl(stack),
      "select json_agg(json_build_object('workspaces', " +
        "(select coalesce(json_agg(w.id order by w.id), '[]') from public.workspaces w " +
        "join public.bison_connections c on c.id = w.connection_id where c.name = 'demo'), " +
        "'joined', (select count(*) from public.workspace_members m " +
        "join auth.users u on u.id = m.user_id join public.workspaces w on w.id = m.workspace_id " +
        "join public.bison_connections c on c.id = w.connection_id " +
        `where c.name = 'demo' and u.email = '${demoUser.email}')))`,
    ),
  ) as { workspaces: number[]; joined: number }[];
  if (joined < workspaces.length) {
    for (const workspace of workspaces) {
      await bisonCli(stack, [
        "member",
        "add",
        "--email",
        demoUser.email,
        "--workspace",
        String(workspace),
        "--password",
        demoUser.password,
      ]);
    }
  }
  const demo: Record<string, string> = workspaces.length
    ? { DEMO_USER_EMAIL: demoUser.email, DEMO_USER_PASSWORD: demoUser.password }
    : {};
  await Deno.writeTextFile(
    stack.envFile,
    formatEnv({ ...await stackEnv(stack), DASHBOARD_URL: dashboardUrl, ...demo }),
  );
  return `dashboard: ${built ? "built and " : ""}served on ${dashboardUrl}` +
    (workspaces.length
      ? `; the demo login is a member of the ${workspaces.length} demo workspaces`
      : "; no demo, so no demo login: add members with `npm run bison -- member add`");
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
    dashboard: await dashboardAnswers(),
  };
  const written = await readEnvFile(stack.envFile);
  const demoLogin = written.DEMO_USER_EMAIL
    ? `${written.DEMO_USER_EMAIL} / ${written.DEMO_USER_PASSWORD}   (a member, not an admin)`
    : "none (no demo running): npm run bison -- member add --email <you> --workspace <id> " +
      "--password -   (then type it)";
  console.log(`
  Local stack (${Object.entries(running).map(([k, v]) => `${k}: ${v ? "up" : "down"}`).join(", ")})

         Database URL: ${dbUrl(stack)}
           Pooler URL: ${poolerUrl(stack)} (transaction mode; what functions use)
              API URL: ${apiUrl(stack)}   (a frontend's SUPABASE_URL)
        Functions URL: ${functionsUrl(stack)}/<name>
             Auth URL: ${apiUrl(stack)}/auth/v1   (JWKS: /auth/v1/.well-known/jwks.json)
             anon key: ${env.SUPABASE_ANON_KEY}   (a frontend's key)
     service_role key: ${env.SUPABASE_SERVICE_ROLE_KEY}
            Dashboard: ${dashboardUrl}
           Demo login: ${demoLogin}
             Env file: ${stack.envFile}
                 Logs: ${stack.logDir}/ (postgres.log, pgbouncer.log, gateway.log, dispatcher.log, simulator.log, dashboard.log)

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
