// Brings a stack's database to the state a hosted Supabase project would be in: the platform
// stand-ins first, applied by the platform superuser (only what the platform would have
// pre-provisioned), then the project's migrations through the Supabase CLI and the local seed,
// both as the demoted `postgres`, as on hosted.
import { join } from "node:path";
import { dbUrl, localDatabaseRoles, platformDbUrl, repoRoot, type StackConfig } from "./config.ts";
import { ensureCluster, removeCluster, startPostgres, stopPostgres } from "./postgres.ts";
import { startPooler, stopPooler } from "./pooler.ts";
import { run } from "./process.ts";

const supabaseCli = join(repoRoot, "node_modules", ".bin", "supabase");
const platformDir = join(repoRoot, "scripts", "local", "platform");

export async function psqlFile(
  databaseUrl: string,
  file: string,
  variables: Record<string, string> = {},
): Promise<void> {
  const args = [databaseUrl, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file];
  for (const [name, value] of Object.entries(variables)) args.push("-v", `${name}=${value}`);
  await run("psql", args, { env: { PGOPTIONS: "--client-min-messages=warning" } });
}

export async function psqlCommand(databaseUrl: string, sql: string): Promise<string> {
  return await run("psql", [databaseUrl, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    env: { PGOPTIONS: "--client-min-messages=warning" },
  });
}

/** The platform stand-ins, applied by the platform superuser; also keeps Realtime's partitions. */
export async function applyPlatform(stack: StackConfig): Promise<void> {
  const files = [...Deno.readDirSync(platformDir)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".sql"))
    .map((entry) => entry.name)
    .sort();
  for (const file of files) {
    await psqlFile(platformDbUrl(stack), join(platformDir, file), {
      postgres_password: localDatabaseRoles.postgres,
      authenticator_password: localDatabaseRoles.authenticator,
      auth_admin_password: localDatabaseRoles.supabase_auth_admin,
    });
  }
}

/** The local server speaks no TLS; the CLI must be told so rather than try and fail. */
export const cliDatabaseUrl = (databaseUrl: string) =>
  `${databaseUrl}${databaseUrl.includes("?") ? "&" : "?"}sslmode=disable`;

/** The pending migrations of `workdir`'s supabase/migrations (the repository's by default). */
export async function applyMigrations(databaseUrl: string, workdir = repoRoot): Promise<void> {
  await run(supabaseCli, [
    "migration",
    "up",
    "--db-url",
    cliDatabaseUrl(databaseUrl),
    "--include-all",
    "--yes",
    "--workdir",
    workdir,
  ], { env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" } });
}

export async function applySeed(databaseUrl: string): Promise<void> {
  await psqlFile(databaseUrl, join(repoRoot, "supabase", "seed.sql"));
}

/** Starts the stack's database and the transaction pooler in front of it. */
export async function startDatabase(stack: StackConfig): Promise<void> {
  await startPostgres(stack);
  await startPooler(stack);
}

/** Stops the pooler and the database; returns what was running. */
export async function stopDatabase(stack: StackConfig): Promise<string[]> {
  const stopped: string[] = [];
  if (await stopPooler(stack)) stopped.push("pgbouncer");
  if (await stopPostgres(stack)) stopped.push("postgres");
  return stopped;
}

/**
 * A brand-new cluster for the stack, running behind its pooler, with the platform stand-ins, the
 * migrations and the seed applied: what `npm test` and the benchmarks start from. Returns the
 * direct URL of `postgres`.
 */
export async function freshDatabase(stack: StackConfig): Promise<string> {
  await stopPooler(stack);
  await removeCluster(stack);
  await ensureCluster(stack);
  await startDatabase(stack);
  const url = dbUrl(stack);
  await applyPlatform(stack);
  await applyMigrations(url);
  await applySeed(url);
  return url;
}
