// Where the CLI's commands find the project (database, functions, Auth), the connection they act
// on, and a Bison client that keeps to the connection's address rules.
import { join } from "node:path";
import postgres from "postgres";
import { readEnvFile, repoRoot } from "../local/config.ts";
import {
  BisonAddressError,
  type BisonClient,
  BisonCredentialError,
  BisonError,
  createBisonClient,
} from "../../supabase/functions/_shared/bison-client.ts";
import { sharedConnectionBudget } from "../../supabase/functions/_shared/request-budget.ts";
import { required, UsageError } from "./cli.ts";

export interface Settings {
  /** Where the settings came from, said on stderr so nobody acts on the wrong project. */
  source: "environment" | "local stack";
  databaseUrl: string;
  functionsUrl: string;
  cronSecret: string | undefined;
  supabaseUrl: string | undefined;
  serviceRoleKey: string | undefined;
}

/**
 * The project the CLI acts on: the environment's when SUPABASE_DB_URL is set there (a hosted
 * project), else the local stack's `.local/stack.env`. Never a mix of both: a hosted database
 * with the local Auth or cron secret would write half a change to each.
 */
export async function readSettings(
  localStackEnv = join(repoRoot, ".local", "stack.env"),
): Promise<Settings> {
  const fromEnvironment = Deno.env.get("SUPABASE_DB_URL") !== undefined;
  const local = fromEnvironment ? {} : await readEnvFile(localStackEnv);
  const value = (key: string) => Deno.env.get(key) ?? local[key];
  const databaseUrl = value("SUPABASE_DB_URL");
  const functionsUrl = value("SUPABASE_FUNCTIONS_URL");
  if (!databaseUrl || !functionsUrl) {
    throw new UsageError(
      "SUPABASE_DB_URL and SUPABASE_FUNCTIONS_URL are not set (run `npm start` for local ones)",
    );
  }
  return {
    source: fromEnvironment ? "environment" : "local stack",
    databaseUrl,
    functionsUrl: functionsUrl.replace(/\/$/, ""),
    cronSecret: value("CRON_SECRET"),
    supabaseUrl: value("SUPABASE_URL"),
    serviceRoleKey: value("SUPABASE_SERVICE_ROLE_KEY"),
  };
}

export interface Context {
  settings: Settings;
  sql: postgres.Sql;
  /**
   * What the command has changed so far ("created connection acme"): a command records each
   * change as it makes it, so that an error after one is never reported as "nothing changed".
   */
  changes: string[];
}

/** "db.example.supabase.co:5432 (environment)": the database a command acts on, never a secret. */
export function describeTarget(settings: Settings): string {
  try {
    const url = new URL(settings.databaseUrl);
    return `${url.hostname}:${url.port || "5432"} (${settings.source})`;
  } catch {
    return `an unreadable SUPABASE_DB_URL (${settings.source})`;
  }
}

export function openContext(settings: Settings): Context {
  return {
    settings,
    sql: postgres(settings.databaseUrl, { max: 4, prepare: false, onnotice: () => {} }),
    changes: [],
  };
}

export interface Connection {
  id: string;
  name: string;
  base_url: string;
  timezone: string;
  allow_private_address: boolean;
  disconnected_at: Date | null;
}

export async function findConnection(
  sql: postgres.Sql,
  idOrName: string,
  options: { connected?: boolean } = {},
): Promise<Connection> {
  const [row] = await sql<Connection[]>`
    select id, name, base_url, timezone, allow_private_address,
           disconnected_at
    from public.bison_connections
    where id::text = ${idOrName} or name = ${idOrName}`;
  if (!row) {
    throw new UsageError(
      `no connection with id or name "${idOrName}" (see: npm run bison -- list)`,
    );
  }
  if (options.connected && row.disconnected_at) {
    throw new UsageError(
      `connection "${row.name}" was disconnected on ${row.disconnected_at.toISOString()}; ` +
        "connect the instance again under a new name",
    );
  }
  return row;
}

/** The connection named by a command's --connection option (required). */
export function connectionOption(
  ctx: Context,
  value: string | undefined,
  usage: string,
  options: { connected?: boolean } = {},
): Promise<Connection> {
  return findConnection(ctx.sql, required(value, "connection", usage), options);
}

export interface Workspace {
  id: number;
  connection_id: string;
  bison_workspace_id: number;
  name: string | null;
  needs_review: boolean;
}

export async function findWorkspace(sql: postgres.Sql, id: number): Promise<Workspace> {
  const [row] = await sql<Workspace[]>`
    select id::int, connection_id, bison_workspace_id::int, name, needs_review
    from public.workspaces where id = ${id}`;
  if (!row) throw new UsageError(`no workspace with id ${id} (see: npm run bison -- list)`);
  return row;
}

/**
 * A client keeping to the connection's address rules and, once the connection is stored, to its
 * request budget, shared with the functions and every other CLI run (request-budget.ts).
 */
export function clientFor(
  ctx: Context,
  connection:
    & Pick<Connection, "base_url" | "allow_private_address">
    & { id?: string; connection_id?: string },
  apiKey: string,
  options: { maxAttempts?: number } = {},
): BisonClient {
  const connectionId = connection.id ?? connection.connection_id;
  return createBisonClient({
    baseUrl: connection.base_url,
    apiKey,
    allowPrivateAddress: connection.allow_private_address,
    budget: connectionId ? sharedConnectionBudget(ctx.sql, connectionId) : undefined,
    ...options,
  });
}

/**
 * What a check of something the operator gave (a URL, a key) found wrong, as a usage error that
 * says exactly that. Other errors pass through.
 */
export function explainCheck(error: unknown, what: string): unknown {
  if (error instanceof BisonAddressError) return new UsageError(`${what}: ${error.message}`);
  if (error instanceof BisonCredentialError) {
    return new UsageError(`${what}: the instance refused the key (HTTP ${error.status})`);
  }
  if (error instanceof BisonError) {
    const unexpectedAnswer = /unexpected|not the answer Email Bison gives/.test(error.message);
    if (error.status === undefined && !unexpectedAnswer) {
      return new UsageError(`${what}: the instance cannot be reached (${error.message})`);
    }
    return new UsageError(`${what}: this does not answer like Email Bison (${error.message})`);
  }
  return error;
}
