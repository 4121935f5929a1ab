// Where each local stack lives and how it is reached. The development stack uses the Supabase
// CLI's fixed local addresses; the test stack runs beside it on its own ports and directory so
// `npm test` can start from a clean database without touching development data.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { signJwt } from "./jwt.ts";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** The Supabase CLI's well-known local JWT secret: local only, never a real project's. */
export const localJwtSecret = "super-secret-jwt-token-with-at-least-32-characters-long";
/** Local stand-in for the cron secret; the seed stores the same value in the local Vault. */
export const localCronSecret = "local-cron-secret-not-for-production";

/** dev: `npm start`; test: `npm test` (no fsync); bench: benchmarks, durable like hosted. */
export type StackName = "dev" | "test" | "bench";

const basePorts: Record<StackName, { db: number; api: number; pooler: number }> = {
  dev: { db: 54322, api: 54321, pooler: 54328 },
  test: { db: 54332, api: 54331, pooler: 54338 },
  bench: { db: 54342, api: 54341, pooler: 54348 },
};

export interface StackConfig {
  name: StackName;
  dbPort: number;
  apiPort: number;
  /** The transaction pooler (PgBouncer) in front of the database. */
  poolerPort: number;
  dir: string;
  logDir: string;
  pidDir: string;
  envFile: string;
  /** The stack's JWT signing key (private; created on first use, mode 0600). */
  signingKeysFile: string;
}

export function stackConfig(name: StackName): StackConfig {
  // TEST_STACK_OFFSET=N gives the test and bench stacks ports of their own (+N, .local/test-N,
  // .local/bench-N) so that several suites and benchmarks can run side by side on one machine.
  const offset = name === "dev" ? 0 : Number(Deno.env.get("TEST_STACK_OFFSET") ?? "0");
  if (!Number.isInteger(offset) || offset < 0 || offset > 1000) {
    throw new Error(`TEST_STACK_OFFSET must be a whole number from 0 to 1000, got ${offset}`);
  }
  const dir = join(repoRoot, ".local", offset ? `${name}-${offset}` : name);
  return {
    name,
    dbPort: basePorts[name].db + offset,
    apiPort: basePorts[name].api + offset,
    poolerPort: basePorts[name].pooler + offset,
    dir,
    logDir: join(dir, "logs"),
    pidDir: join(dir, "run"),
    envFile: name === "dev" ? join(repoRoot, ".local", "stack.env") : join(dir, "stack.env"),
    signingKeysFile: join(dir, "auth", "signing-keys.json"),
  };
}

/**
 * The roles that log in to a stack's database, with their local demo passwords. `postgres` is the
 * project's role as on hosted Supabase (not a superuser); `supabase_admin` is the platform's
 * superuser, which only the platform stand-ins and platform services use; `authenticator` is the
 * Data API's login and `supabase_auth_admin` Auth's, as on hosted.
 */
export const localDatabaseRoles = {
  postgres: "postgres",
  supabase_admin: "supabase-admin-local-only",
  authenticator: "authenticator-local-only",
  supabase_auth_admin: "supabase-auth-admin-local-only",
} as const;

export type LocalDatabaseRole = keyof typeof localDatabaseRoles;

const roleUrl = (role: LocalDatabaseRole, port: number) =>
  `postgresql://${role}:${localDatabaseRoles[role]}@127.0.0.1:${port}/postgres`;

/** The same database as `databaseUrl`, logged in as another of the stack's roles. */
export function databaseUrlAs(databaseUrl: string, role: LocalDatabaseRole): string {
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = localDatabaseRoles[role];
  return url.toString();
}

/** The direct connection as `postgres`: migrations, the seed, tests, scripts (SUPABASE_DB_URL). */
export const dbUrl = (stack: StackConfig) => roleUrl("postgres", stack.dbPort);
/** The transaction pooler as `postgres`: what functions use (DB_POOLER_URL), as on hosted. */
export const poolerUrl = (stack: StackConfig) => roleUrl("postgres", stack.poolerPort);
/**
 * The platform superuser's direct connection: the stand-ins and the platform's own services
 * (pg_net's worker, Realtime). Never handed to functions, migrations or tests.
 */
export const platformDbUrl = (stack: StackConfig) => roleUrl("supabase_admin", stack.dbPort);
export const apiUrl = (stack: StackConfig) => `http://127.0.0.1:${stack.apiPort}`;
export const functionsUrl = (stack: StackConfig) => `${apiUrl(stack)}/functions/v1`;

/** The role keys `supabase start` prints: long-lived JWTs signed with the local secret. */
export function roleKey(role: "anon" | "service_role"): Promise<string> {
  return signJwt({ iss: "supabase-demo", role, exp: 1983812996 }, localJwtSecret);
}

/**
 * What each function of the stack receives: what the platform hands every function
 * (SUPABASE_URL, SUPABASE_DB_URL, keys) plus the project's secrets (CRON_SECRET, and
 * DB_POOLER_URL, the transaction pooler the functions connect through).
 */
export async function functionEnv(stack: StackConfig): Promise<Record<string, string>> {
  return {
    SUPABASE_URL: apiUrl(stack),
    SUPABASE_DB_URL: dbUrl(stack),
    SUPABASE_ANON_KEY: await roleKey("anon"),
    SUPABASE_SERVICE_ROLE_KEY: await roleKey("service_role"),
    CRON_SECRET: localCronSecret,
    DB_POOLER_URL: poolerUrl(stack),
  };
}

/** Everything a script, test or local platform service needs to talk to the stack. */
export async function stackEnv(stack: StackConfig): Promise<Record<string, string>> {
  return {
    ...await functionEnv(stack),
    SUPABASE_FUNCTIONS_URL: functionsUrl(stack),
    SUPABASE_JWT_SECRET: localJwtSecret,
    // Where the signing key lives, never the key: the gateway's Auth and tests read it there.
    SUPABASE_SIGNING_KEYS_FILE: stack.signingKeysFile,
    PLATFORM_DB_URL: platformDbUrl(stack),
  };
}

export function formatEnv(env: Record<string, string>): string {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`).join("\n") + "\n";
}

export async function readEnvFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/);
    if (!match) continue;
    env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return env;
}

/** A TOML file's contents, parsed again only after the file changed (edits apply without restart). */
export function watchedToml<T>(path: string): () => T {
  let loadedMtime = -1;
  let contents: T;
  return () => {
    const mtime = Deno.statSync(path).mtime?.getTime() ?? 0;
    if (mtime !== loadedMtime) {
      contents = parseToml(Deno.readTextFileSync(path)) as T;
      loadedMtime = mtime;
    }
    return contents;
  };
}

/** The pinned Supabase CLI (package.json), installed by npm ci. */
export const supabaseCli = join(repoRoot, "node_modules", ".bin", "supabase");
