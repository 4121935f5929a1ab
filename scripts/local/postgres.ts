// The local PostgreSQL 15 cluster of a stack: created once with initdb, configured like a
// Supabase database (pg_cron preloaded, logical WAL, the platform's statement timeout), started
// and stopped with pg_ctl. Its bootstrap superuser is supabase_admin, as on hosted Supabase; the
// platform stand-ins create the demoted `postgres` role.
import { join } from "node:path";
import { localDatabaseRoles, type StackConfig } from "./config.ts";
import { asPostgres, CommandError, isRoot, run, startOnFixedPort } from "./process.ts";

const pgBin = "/usr/lib/postgresql/15/bin";

export interface PgPaths {
  /** Everything the `postgres` OS user writes: the data directory, sockets, logs, the pooler. */
  base: string;
  data: string;
  socketDir: string;
  log: string;
}

/** Where clusters go when their clone is out of the `postgres` OS user's reach. */
export const movedClustersDir = "/var/tmp/bison-mirror";
/** In a moved cluster's directory: the stack directory (in its clone) it belongs to. */
const ownerFile = "stack-dir";

/**
 * Where a stack's cluster and everything its OS user writes live: .local/<stack>/postgres, or,
 * when the `postgres` OS user cannot enter the stack's directory (root cloned into a directory of
 * mode 700, say), <movedClustersDir>/<tag>, the tag made from the stack's directory.
 */
export function clusterBase(
  stackDir: string,
  postgresCanEnter: boolean,
  movedDir = movedClustersDir,
): string {
  if (postgresCanEnter) return join(stackDir, "postgres");
  return join(movedDir, stackDir.replace(/[^A-Za-z0-9]+/g, "_").slice(-80));
}

async function postgresCanEnter(dir: string): Promise<boolean> {
  if (!isRoot()) return true;
  const reachable = await new Deno.Command("runuser", {
    args: ["-u", "postgres", "--", "test", "-x", dir],
    stdout: "null",
    stderr: "null",
  }).output();
  return reachable.success;
}

/**
 * The cluster's paths (clusterBase). A moved cluster records which stack it belongs to, so that
 * it can be removed once its clone is gone (removeOrphanedClusters); the stack's logs/ then holds
 * links to its logs.
 */
export async function pgPaths(stack: StackConfig): Promise<PgPaths> {
  await Deno.mkdir(stack.dir, { recursive: true });
  const base = clusterBase(stack.dir, await postgresCanEnter(stack.dir));
  return {
    base,
    data: join(base, "data"),
    socketDir: join(base, "run"),
    log: join(base, "log", "postgres.log"),
  };
}

/**
 * Removes the moved clusters (under movedDir) whose clone is gone, stopping any still running:
 * deleting a clone must not leave its database behind. Returns the directories removed.
 */
export async function removeOrphanedClusters(movedDir = movedClustersDir): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(movedDir)];
  } catch {
    return removed; // nothing was ever moved
  }
  for (const entry of entries) {
    const base = join(movedDir, entry.name);
    let owner: string;
    try {
      owner = (await Deno.readTextFile(join(base, ownerFile))).trim();
    } catch {
      continue; // not one of ours, or made before owners were recorded
    }
    if (await Deno.stat(owner).then(() => true, () => false)) continue;
    const data = join(base, "data");
    if (await Deno.stat(join(data, "postmaster.pid")).then(() => true, () => false)) {
      await pg("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w", "-t", "60"]).catch(() => {});
    }
    await Deno.remove(base, { recursive: true });
    removed.push(base);
  }
  return removed;
}

/** A directory the `postgres` OS user writes in (it owns it when we are root). */
export async function ownedByPostgres(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  if (isRoot()) await run("chown", ["postgres:postgres", dir]);
}

/** Links the stack's logs/<name> to a log written beside the cluster, wherever that lives. */
export async function linkLog(stack: StackConfig, file: string): Promise<void> {
  await Deno.mkdir(stack.logDir, { recursive: true });
  const link = join(stack.logDir, file.split("/").pop()!);
  await Deno.remove(link).catch(() => {});
  await Deno.symlink(file, link);
}

async function pg(tool: string, args: string[]): Promise<string> {
  const [command, fullArgs] = asPostgres(join(pgBin, tool), args);
  return await run(command, fullArgs);
}

export async function clusterExists(stack: StackConfig): Promise<boolean> {
  const { data } = await pgPaths(stack);
  try {
    await Deno.stat(join(data, "PG_VERSION"));
    return true;
  } catch {
    return false;
  }
}

/** Creates the cluster if it does not exist yet; returns true when it was just created. */
export async function ensureCluster(stack: StackConfig): Promise<boolean> {
  await removeOrphanedClusters();
  if (await clusterExists(stack)) return false;
  const paths = await pgPaths(stack);
  const { base } = paths;
  await Deno.mkdir(paths.socketDir, { recursive: true });
  await Deno.mkdir(join(base, "log"), { recursive: true });
  if (!base.startsWith(stack.dir)) await Deno.writeTextFile(join(base, ownerFile), stack.dir);
  const passwordFile = join(base, "initdb-password");
  await Deno.writeTextFile(passwordFile, `${localDatabaseRoles.supabase_admin}\n`, { mode: 0o600 });
  if (isRoot()) await run("chown", ["-R", "postgres:postgres", base]);
  try {
    await pg("initdb", [
      "--pgdata",
      paths.data,
      "--username",
      "supabase_admin",
      `--pwfile=${passwordFile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
    ]);
  } finally {
    await Deno.remove(passwordFile).catch(() => {});
  }
  const durability = stack.name === "test"
    ? ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
    : [];
  const settings = [
    "# Added by scripts/local/postgres.ts: a Supabase-shaped local database.",
    "listen_addresses = '127.0.0.1'",
    `port = ${stack.dbPort}`,
    `unix_socket_directories = '${paths.socketDir}'`,
    "shared_preload_libraries = 'pg_cron'",
    "cron.database_name = 'postgres'",
    "cron.use_background_workers = on",
    "max_worker_processes = 40",
    "wal_level = logical",
    "max_connections = 200",
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
    "log_min_messages = warning",
    "log_line_prefix = '%m [%p] %q%u@%d '",
    // Hosted Supabase's platform default: no statement runs longer than 2 minutes unless the
    // session or transaction says otherwise.
    "statement_timeout = 120000",
    ...durability,
  ];
  const conf = join(paths.data, "postgresql.conf");
  await Deno.writeTextFile(conf, settings.join("\n") + "\n", { append: true });
  return true;
}

export async function postgresRunning(stack: StackConfig): Promise<boolean> {
  const { data } = await pgPaths(stack);
  const [command, args] = asPostgres(join(pgBin, "pg_ctl"), ["status", "-D", data]);
  const status = await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
    .output();
  return status.success;
}

export async function startPostgres(stack: StackConfig): Promise<void> {
  if (await postgresRunning(stack)) return;
  const paths = await pgPaths(stack);
  await ownedByPostgres(join(paths.base, "log"));
  await linkLog(stack, paths.log);
  await startOnFixedPort("PostgreSQL", stack.dbPort, paths.log, async () => {
    try {
      await pg("pg_ctl", ["start", "-D", paths.data, "-l", paths.log, "-w", "-t", "60"]);
    } catch (error) {
      throw await startFailure(stack, paths, error);
    }
  });
}

async function startFailure(stack: StackConfig, paths: PgPaths, error: unknown) {
  const tail = await Deno.readTextFile(paths.log).then((text) =>
    text.trim().split("\n").slice(-10).join("\n")
  ).catch(() => "");
  const hint = `is port ${stack.dbPort} already taken by another PostgreSQL?`;
  return new CommandError(`${(error as Error).message}\n${tail}\n(${hint})`);
}

export async function stopPostgres(stack: StackConfig): Promise<boolean> {
  if (!(await postgresRunning(stack))) return false;
  const { data } = await pgPaths(stack);
  await pg("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w", "-t", "60"]);
  return true;
}

export async function removeCluster(stack: StackConfig): Promise<void> {
  await stopPostgres(stack);
  const { base } = await pgPaths(stack);
  await Deno.remove(base, { recursive: true }).catch(() => {});
}
