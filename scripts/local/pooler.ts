// The stack's transaction pooler: Debian's PgBouncer in transaction mode in front of PostgreSQL,
// configured like the PgBouncer hosted Supabase runs beside a project's database (pool_mode
// transaction, default_pool_size 15, extra_float_digits ignored), as Supavisor's transaction
// mode behaves for the shared pooler. Functions reach the database only through it, so anything
// that relies on session state (session advisory locks, session `set`, prepared statements,
// startup parameters such as statement_timeout) fails locally as it would on hosted.
import { join } from "node:path";
import { localDatabaseRoles, type StackConfig } from "./config.ts";
import { linkLog, ownedByPostgres, pgPaths } from "./postgres.ts";
import {
  asPostgres,
  delay,
  pidAlive,
  run,
  someoneListens,
  startOnFixedPort,
  waitFor,
} from "./process.ts";

const pgbouncer = "/usr/sbin/pgbouncer";

/** Server connections the pooler keeps per database and user, as on hosted's smallest compute. */
export const poolerServerConnections = 15;

async function poolerPaths(stack: StackConfig) {
  const dir = join((await pgPaths(stack)).base, "pooler");
  return {
    dir,
    config: join(dir, "pgbouncer.ini"),
    users: join(dir, "userlist.txt"),
    pid: join(dir, "pgbouncer.pid"),
    log: join(dir, "pgbouncer.log"),
  };
}

async function runningPid(stack: StackConfig): Promise<number | null> {
  const { pid } = await poolerPaths(stack);
  try {
    const value = Number((await Deno.readTextFile(pid)).trim());
    return Number.isInteger(value) && value > 0 && pidAlive(value) ? value : null;
  } catch {
    return null;
  }
}

export async function poolerRunning(stack: StackConfig): Promise<boolean> {
  return (await runningPid(stack)) !== null;
}

/** Starts PgBouncer for the stack (once), returning when it accepts connections. */
export async function startPooler(stack: StackConfig): Promise<void> {
  if (await poolerRunning(stack)) return;
  const paths = await poolerPaths(stack);
  await ownedByPostgres(paths.dir);
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  await Deno.writeTextFile(
    paths.users,
    `${quote("postgres")} ${quote(localDatabaseRoles.postgres)}\n`,
    { mode: 0o600 },
  );
  await Deno.writeTextFile(
    paths.config,
    [
      "; Written by scripts/local/pooler.ts on every start.",
      "[databases]",
      `postgres = host=127.0.0.1 port=${stack.dbPort} dbname=postgres`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${stack.poolerPort}`,
      "unix_socket_dir =",
      "auth_type = scram-sha-256",
      `auth_file = ${paths.users}`,
      "pool_mode = transaction",
      "ignore_startup_parameters = extra_float_digits",
      `default_pool_size = ${poolerServerConnections}`,
      "max_client_conn = 400",
      `pidfile = ${paths.pid}`,
      `logfile = ${paths.log}`,
      "log_connections = 0",
      "log_disconnections = 0",
      "",
    ].join("\n"),
  );
  if (Deno.uid() === 0) {
    await run("chown", ["postgres:postgres", paths.users, paths.config]);
  }
  await linkLog(stack, paths.log);
  const [command, args] = asPostgres(pgbouncer, ["-d", "-q", paths.config]);
  await startOnFixedPort("PgBouncer", stack.poolerPort, paths.log, async () => {
    await run(command, args);
    const started = Date.now();
    await waitFor(`PgBouncer on port ${stack.poolerPort} (see ${paths.log})`, async () => {
      if (await someoneListens(stack.poolerPort)) return true;
      // A PgBouncer that could not listen exits at once: say so now rather than at the timeout
      // (after a grace period in which its daemonised child writes the pid file).
      if (Date.now() - started > 2000 && !(await poolerRunning(stack))) {
        throw new Error(`PgBouncer exited (see ${paths.log})`);
      }
      return false;
    });
  });
}

/** Stops the stack's PgBouncer; true when it was running. */
export async function stopPooler(stack: StackConfig): Promise<boolean> {
  const pid = await runningPid(stack);
  if (pid === null) return false;
  Deno.kill(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < deadline) await delay(50);
  if (pidAlive(pid)) Deno.kill(pid, "SIGKILL");
  return true;
}
