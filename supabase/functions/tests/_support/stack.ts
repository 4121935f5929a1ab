// What Deno integration tests need from the throwaway stack `npm test` prepared: its settings (from
// the environment the runner sets), a database connection, and local instances of the functions
// gateway and the pg_net dispatcher that a test starts and stops itself.
import postgres from "postgres";
import { join } from "node:path";
import { repoRoot } from "../../../../scripts/local/config.ts";
import { type ApiService, startGateway } from "../../../../scripts/local/gateway.ts";
import { localApiServices, stackApiContext } from "../../../../scripts/local/api-services.ts";
import { startDispatcher } from "../../../../scripts/local/dispatcher.ts";
import { type JwtClaims, type SigningKey, signJwt } from "../../../../scripts/local/jwt.ts";
import { loadSigningKey } from "../../../../scripts/local/auth/signing-key.ts";
import { authIssuer, signInAs } from "../../../../scripts/local/auth/session.ts";
import {
  type BisonCliRun,
  runBisonCli as runSharedBisonCli,
} from "../../../../scripts/local/bison-cli.ts";

export interface TestStack {
  /** Direct, as `postgres` (not a superuser, as on hosted): what tests connect with. */
  databaseUrl: string;
  /** The stack's API URL (SUPABASE_URL): the issuer of its Auth tokens. */
  apiUrl: string;
  /** The transaction pooler, as `postgres`: what the functions under test connect through. */
  poolerUrl: string;
  /** Direct, as the platform superuser: only for the stack's platform stand-ins. */
  platformDatabaseUrl: string;
  jwtSecret: string;
  /** Where the stack's signing key lives (read it with stackSigningKey()). */
  signingKeysFile: string;
  anonKey: string;
  serviceRoleKey: string;
  cronSecret: string;
}

export function testStack(): TestStack {
  const read = (key: string) => {
    const value = Deno.env.get(key);
    if (!value) {
      throw new Error(`${key} is not set: run Deno tests through \`npm test\` (see README)`);
    }
    return value;
  };
  return {
    databaseUrl: read("SUPABASE_DB_URL"),
    apiUrl: read("SUPABASE_URL"),
    poolerUrl: read("DB_POOLER_URL"),
    platformDatabaseUrl: read("PLATFORM_DB_URL"),
    jwtSecret: read("SUPABASE_JWT_SECRET"),
    signingKeysFile: read("SUPABASE_SIGNING_KEYS_FILE"),
    anonKey: read("SUPABASE_ANON_KEY"),
    serviceRoleKey: read("SUPABASE_SERVICE_ROLE_KEY"),
    cronSecret: read("CRON_SECRET"),
  };
}

export function connect(stack = testStack()): postgres.Sql {
  return postgres(stack.databaseUrl, { max: 4, prepare: false, onnotice: () => {} });
}

export const fixturesDir = join(repoRoot, "supabase", "functions", "tests", "fixtures");
export const functionsDir = join(repoRoot, "supabase", "functions");

/** Appends to the file npm test names (TEST_FUNCTION_LOG), which it points to after a failure. */
function logTo(source: string): (line: string) => void {
  const file = Deno.env.get("TEST_FUNCTION_LOG");
  return (line) => {
    if (file) Deno.writeTextFileSync(file, `[${source}] ${line}\n`, { append: true });
  };
}

/**
 * A gateway over the project's functions plus the test fixtures, on a free port. Functions get
 * the gateway's own URL as SUPABASE_URL.
 */
export function startTestGateway(
  extraEnv: Record<string, string> = {},
  stack = testStack(),
  services: ApiService[] = [],
) {
  return startGateway({
    port: 0,
    jwtSecret: stack.jwtSecret,
    apiKeys: [stack.anonKey, stack.serviceRoleKey],
    functionDirs: [functionsDir, fixturesDir],
    services,
    env: {
      SUPABASE_DB_URL: stack.databaseUrl,
      SUPABASE_ANON_KEY: stack.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      CRON_SECRET: stack.cronSecret,
      DB_POOLER_URL: stack.poolerUrl,
      ...extraEnv,
    },
    log: logTo("gateway"),
  });
}

/**
 * A gateway that also serves the stack's client APIs (/auth/v1, /rest/v1, /realtime/v1), as the
 * project URL of hosted Supabase does: what a frontend's supabase-js talks to.
 */
export async function startTestApi(extraEnv: Record<string, string> = {}, stack = testStack()) {
  const services = await localApiServices(
    await stackApiContext({ ...stack, log: logTo("api") }),
  );
  return startTestGateway(extraEnv, stack, services);
}

export function startTestDispatcher(stack = testStack()) {
  return startDispatcher({
    databaseUrl: stack.platformDatabaseUrl,
    idleMs: 20,
    log: logTo("dispatcher"),
  });
}

/** The test stack's JWT signing key (ES256), the one its Auth signs user tokens with. */
export function stackSigningKey(stack = testStack()): Promise<SigningKey> {
  return loadSigningKey(stack.signingKeysFile);
}

/**
 * A user access token as the stack's Auth issues it today: ES256, signed with the stack's key,
 * for a new session of that auth.users row (made by tests.create_user, say), exactly as a
 * password sign-in would issue it. Valid for an hour.
 */
export async function userToken(userId: string, stack = testStack()): Promise<string> {
  const sql = connect(stack);
  try {
    const issuer = authIssuer(stack.apiUrl, await stackSigningKey(stack));
    return (await signInAs(sql, issuer, userId)).access_token;
  } finally {
    await sql.end();
  }
}

/**
 * A legacy HS256 user token signed with the JWT secret (no session), as projects issued before
 * asymmetric signing keys and as hosted Auth still accepts: claims may be overridden.
 */
export function legacyUserToken(
  userId: string,
  overrides: JwtClaims = {},
  stack = testStack(),
): Promise<string> {
  return signJwt({
    sub: userId,
    role: "authenticated",
    aud: "authenticated",
    exp: Math.floor(Date.now() / 1000) + 3600,
    ...overrides,
  }, stack.jwtSecret);
}

/**
 * Runs a job's command as pg_cron 1.4+ does: as the job's user, in a transaction of its own.
 * Returns the first value the command selects: for a job calling private.invoke_edge_function,
 * the pg_net request id, whose answer lands in net._http_response.
 */
export async function runCronJob(sql: postgres.Sql, jobName: string): Promise<unknown> {
  const [job] = await sql`select command, username from cron.job where jobname = ${jobName}`;
  if (!job) throw new Error(`no cron job named ${jobName}`);
  return await sql.begin(async (tx) => {
    await tx.unsafe(`set local role "${job.username.replaceAll('"', '""')}"`);
    const [row] = await tx.unsafe(job.command);
    return row ? Object.values(row)[0] : undefined;
  });
}

/** Points the Vault's project_url (where cron jobs send their calls) at url while body runs. */
export async function withProjectUrl<T>(
  sql: postgres.Sql,
  url: string,
  body: () => Promise<T>,
): Promise<T> {
  const [{ previous }] = await sql`
    select decrypted_secret as previous from vault.decrypted_secrets where name = 'project_url'`;
  await sql`select vault.update_secret(id, ${url}) from vault.secrets where name = 'project_url'`;
  try {
    return await body();
  } finally {
    await sql`select vault.update_secret(id, ${previous}) from vault.secrets
              where name = 'project_url'`;
  }
}

/** Polls until check() returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Runs the admin CLI (scripts/bison.ts) against the test database; returns exit code and output.
 * `input` adds environment variables and what to write to its stdin.
 */
export function runBisonCli(
  args: string[],
  functionsUrl = "http://127.0.0.1:9/functions/v1",
  stack = testStack(),
  input: { env?: Record<string, string>; stdin?: string } = {},
): Promise<BisonCliRun> {
  return runSharedBisonCli(args, {
    SUPABASE_DB_URL: stack.databaseUrl,
    SUPABASE_FUNCTIONS_URL: functionsUrl,
    CRON_SECRET: stack.cronSecret,
    ...input.env,
  }, input.stdin);
}

/**
 * Connects a (simulated) instance with the admin CLI as an operator would, then adds the given
 * Bison workspaces with their keys (the simulator's `sim-key-<id>-abcdef` unless given). Returns
 * the connection and our workspace ids in the order given. `check: false` connects without
 * asking the instance first (for one that never answers).
 */
export async function connectInstanceWorkspaces(
  name: string,
  baseUrl: string,
  workspaces: { id: number; apiKey?: string }[],
  options: { functionsUrl?: string; check?: boolean } = {},
): Promise<{ connectionId: string; workspaceIds: number[] }> {
  const connected = await runBisonCli(
    [
      "connect",
      "--name",
      name,
      "--base-url",
      baseUrl,
      "--allow-private-address",
      ...(options.check === false ? ["--no-check"] : []),
    ],
    options.functionsUrl,
  );
  if (connected.code !== 0) throw new Error(`bison connect failed: ${connected.stderr}`);
  const connectionId = (connected.result as { connection_id: string }).connection_id;
  const workspaceIds: number[] = [];
  for (const workspace of workspaces) {
    const added = await runBisonCli([
      "add-workspace",
      "--no-check",
      "--connection",
      name,
      "--workspace-id",
      String(workspace.id),
      "--api-key",
      workspace.apiKey ?? `sim-key-${workspace.id}-abcdef`,
    ]);
    if (added.code !== 0) throw new Error(`bison add-workspace failed: ${added.stderr}`);
    workspaceIds.push((added.result as { workspace_id: number }).workspace_id);
  }
  return { connectionId, workspaceIds };
}

/** A new Bison connection (unique name) whose webhook URL points at the given gateway. */
export async function connectBison(
  gatewayUrl: string,
  timezone = "UTC",
): Promise<{ connectionId: string; webhookUrl: string }> {
  const name = `test-${crypto.randomUUID()}`;
  const { code, stderr, result } = await runBisonCli(
    [
      "connect",
      "--name",
      name,
      "--base-url",
      "https://send.example.test",
      "--timezone",
      timezone,
      "--no-check",
    ],
    `${gatewayUrl}/functions/v1`,
  );
  if (code !== 0) throw new Error(`bison connect failed: ${stderr}`);
  const { connection_id, webhook_url } = result as { connection_id: string; webhook_url: string };
  return { connectionId: connection_id, webhookUrl: webhook_url };
}
