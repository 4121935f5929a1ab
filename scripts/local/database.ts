// Brings a stack's database to the state a hosted Supabase project would be in: the platform
// stand-ins first (only what the platform would have pre-provisioned), then the project's
// migrations through the Supabase CLI, then the local seed.
import { join } from "node:path";
import { dbUrl, repoRoot, type StackConfig } from "./config.ts";
import { ensureCluster, removeCluster, startPostgres } from "./postgres.ts";
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

export async function applyPlatform(databaseUrl: string): Promise<void> {
  const files = [...Deno.readDirSync(platformDir)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".sql"))
    .map((entry) => entry.name)
    .sort();
  for (const file of files) await psqlFile(databaseUrl, join(platformDir, file));
}

/** The local server speaks no TLS; the CLI must be told so rather than try and fail. */
export const cliDatabaseUrl = (databaseUrl: string) =>
  `${databaseUrl}${databaseUrl.includes("?") ? "&" : "?"}sslmode=disable`;

export async function applyMigrations(databaseUrl: string): Promise<void> {
  await run(supabaseCli, [
    "migration",
    "up",
    "--db-url",
    cliDatabaseUrl(databaseUrl),
    "--include-all",
    "--yes",
    "--workdir",
    repoRoot,
  ], { env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" } });
}

export async function applySeed(databaseUrl: string): Promise<void> {
  await psqlFile(databaseUrl, join(repoRoot, "supabase", "seed.sql"));
}

/**
 * A brand-new cluster for the stack, running, with the platform stand-ins, the migrations and the
 * seed applied: what `npm test` and the benchmarks start from. Returns its URL.
 */
export async function freshDatabase(stack: StackConfig): Promise<string> {
  await removeCluster(stack);
  await ensureCluster(stack);
  await startPostgres(stack);
  const url = dbUrl(stack);
  await applyPlatform(url);
  await applyMigrations(url);
  await applySeed(url);
  return url;
}
