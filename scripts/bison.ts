// Admin CLI for Email Bison connections: `deno task bison <command>` (or `npm run bison -- ...`).
// Talks to the database of SUPABASE_DB_URL (default: the local stack's .local/stack.env). Human
// progress goes to stderr; the last line of stdout is JSON for scripts.
import { parseArgs } from "node:util";
import { join } from "node:path";
import postgres from "postgres";
import { readEnvFile, repoRoot } from "./local/config.ts";
import { sha256Hex } from "../supabase/functions/_shared/http.ts";
import { createBisonClient } from "../supabase/functions/_shared/bison-client.ts";
import { storableJson } from "../supabase/functions/_shared/json.ts";

const usage = `usage:
  bison connect --name <name> --base-url <url> [--timezone <IANA zone>]
  bison rotate-token --connection <id or name>
  bison list
  bison add-workspace --connection <id or name> --workspace-id <n> --api-key <key> [--name <name>]
                      [--super-admin]   (the key is a super-admin key, switched before each poll)
  bison discover --connection <id or name> --api-key <super-admin key>
  bison poll [--budget-ms <ms>]
  bison reprocess [--event-id <id>]...

Environment: SUPABASE_DB_URL, SUPABASE_FUNCTIONS_URL and (for poll) CRON_SECRET; by default the
local stack's .local/stack.env.`;

class UsageError extends Error {}

function newWebhookToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function settings() {
  const local = await readEnvFile(join(repoRoot, ".local", "stack.env"));
  const databaseUrl = Deno.env.get("SUPABASE_DB_URL") ?? local.SUPABASE_DB_URL;
  const functionsUrl = Deno.env.get("SUPABASE_FUNCTIONS_URL") ?? local.SUPABASE_FUNCTIONS_URL;
  if (!databaseUrl || !functionsUrl) {
    throw new UsageError(
      "SUPABASE_DB_URL and SUPABASE_FUNCTIONS_URL are not set (run `npm start` for local ones)",
    );
  }
  return {
    databaseUrl,
    functionsUrl: functionsUrl.replace(/\/$/, ""),
    cronSecret: Deno.env.get("CRON_SECRET") ?? local.CRON_SECRET,
  };
}

async function findConnection(sql: postgres.Sql, idOrName: string | undefined) {
  if (!idOrName) throw new UsageError("--connection <id or name> is required");
  const [row] = await sql`
    select id, name, base_url from public.bison_connections
    where id::text = ${idOrName} or name = ${idOrName}`;
  if (!row) throw new UsageError(`no connection with id or name "${idOrName}"`);
  return row as { id: string; name: string; base_url: string };
}

const webhookUrl = (functionsUrl: string, token: string) =>
  `${functionsUrl}/universal-bison-webhook/${token}`;

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--base-url is not a URL: ${raw}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError("--base-url must be an http(s) URL");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

async function connect(sql: postgres.Sql, functionsUrl: string, args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: "string" },
      "base-url": { type: "string" },
      timezone: { type: "string" },
    },
  });
  if (!values.name || !values["base-url"]) {
    throw new UsageError("connect needs --name and --base-url");
  }
  const baseUrl = normaliseBaseUrl(values["base-url"]);
  const timezone = values.timezone ?? "UTC";
  const token = newWebhookToken();
  const tokenSha256 = sha256Hex(token);
  const connection = await sql.begin(async (tx) => {
    const [known] = await tx`select 1 from public.bison_connections where name = ${values.name!}`;
    if (known) throw new UsageError(`a connection named "${values.name}" already exists`);
    const [row] = await tx`
      insert into public.bison_connections (name, base_url, timezone)
      values (${values.name!}, ${baseUrl}, ${timezone})
      returning id, name, base_url, timezone`;
    await tx`insert into private.webhook_tokens (connection_id, token_sha256)
             values (${row.id}, ${tokenSha256})`;
    return row;
  });
  console.error(`Connected "${connection.name}" (${connection.base_url}, ${connection.timezone}).`);
  console.error(
    "Register this URL as the webhook of every workspace (shown once, keep it secret):",
  );
  return {
    connection_id: connection.id,
    name: connection.name,
    base_url: connection.base_url,
    timezone: connection.timezone,
    webhook_url: webhookUrl(functionsUrl, token),
  };
}

async function rotateToken(sql: postgres.Sql, functionsUrl: string, args: string[]) {
  const { values } = parseArgs({ args, options: { connection: { type: "string" } } });
  if (!values.connection) throw new UsageError("rotate-token needs --connection <id or name>");
  const token = newWebhookToken();
  const tokenSha256 = sha256Hex(token);
  const [row] = await sql`
    with target as (
      select id, name from public.bison_connections
      where id::text = ${values.connection} or name = ${values.connection}
    )
    insert into private.webhook_tokens (connection_id, token_sha256)
    select id, ${tokenSha256} from target
    on conflict (connection_id) do update
      set token_sha256 = excluded.token_sha256, created_at = now()
    returning connection_id, (select name from target) as name`;
  if (!row) throw new UsageError(`no connection with id or name "${values.connection}"`);
  console.error(`New webhook URL for "${row.name}"; the old one stops working now:`);
  return {
    connection_id: row.connection_id,
    name: row.name,
    webhook_url: webhookUrl(functionsUrl, token),
  };
}

async function list(sql: postgres.Sql) {
  const rows = await sql`
    select c.id as connection_id, c.name, c.base_url, c.timezone,
           count(w.id)::int as workspaces,
           count(w.id) filter (where w.needs_review)::int as workspaces_to_review
    from public.bison_connections c left join public.workspaces w on w.connection_id = c.id
    group by c.id order by c.name`;
  for (const row of rows) {
    console.error(
      `${row.name}\t${row.base_url}\t${row.timezone}\t${row.workspaces} workspaces` +
        (row.workspaces_to_review ? ` (${row.workspaces_to_review} to review)` : ""),
    );
  }
  return rows;
}

async function addWorkspace(sql: postgres.Sql, args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      connection: { type: "string" },
      "workspace-id": { type: "string" },
      "api-key": { type: "string" },
      name: { type: "string" },
      "super-admin": { type: "boolean", default: false },
    },
  });
  const connection = await findConnection(sql, values.connection);
  if (!values["workspace-id"] || !/^\d+$/.test(values["workspace-id"])) {
    throw new UsageError("--workspace-id must be the Bison workspace number");
  }
  if (!values["api-key"]) throw new UsageError("--api-key is required");
  const workspace = await sql.begin(async (tx) => {
    const [row] = await tx`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connection.id}, ${values["workspace-id"]!}, ${values.name ?? null})
      on conflict (connection_id, bison_workspace_id) do update
        set name = coalesce(excluded.name, public.workspaces.name), needs_review = false,
            updated_at = now()
      returning id::int, bison_workspace_id::int, name`;
    await tx`select private.set_workspace_api_key(${row.id}, ${values["api-key"]!},
               ${values["super-admin"] ? "super_admin" : "workspace"})`;
    return row;
  });
  console.error(
    `Workspace ${workspace.bison_workspace_id} of "${connection.name}" will be polled with its key.`,
  );
  return { workspace_id: workspace.id, bison_workspace_id: workspace.bison_workspace_id };
}

async function discover(sql: postgres.Sql, args: string[]) {
  const { values } = parseArgs({
    args,
    options: { connection: { type: "string" }, "api-key": { type: "string" } },
  });
  const connection = await findConnection(sql, values.connection);
  if (!values["api-key"]) throw new UsageError("--api-key <super-admin key> is required");
  const client = createBisonClient({ baseUrl: connection.base_url, apiKey: values["api-key"] });
  const { items } = await client.listWorkspaces();
  // Bison's order, each workspace once; all recorded in one statement, or none.
  const listed = [...new Map(items.map((w) => [Number(w.id), w.name ?? null])).entries()]
    .map(([id, name]) => ({ id, name }));
  const rows = await sql`
    insert into public.workspaces as w (connection_id, bison_workspace_id, name)
    select ${connection.id}, d.id, btrim(d.name)
    from jsonb_to_recordset(${storableJson(JSON.stringify(listed))}::text::jsonb)
      as d(id bigint, name text)
    on conflict (connection_id, bison_workspace_id) do update
      set name = coalesce(excluded.name, w.name), updated_at = now()
    returning w.id::int, w.bison_workspace_id::int, w.name,
      exists (select 1 from private.workspace_api_keys k where k.workspace_id = w.id)
        as has_api_key`;
  const position = new Map(listed.map((w, index) => [w.id, index]));
  const recorded = [...rows].sort((a, b) =>
    position.get(a.bison_workspace_id)! - position.get(b.bison_workspace_id)!
  );
  for (const row of recorded) {
    console.error(
      `${row.bison_workspace_id}\t${row.name ?? ""}\t${
        row.has_api_key ? "key stored" : "no key yet: bison add-workspace"
      }`,
    );
  }
  return recorded;
}

async function poll(functionsUrl: string, cronSecret: string | undefined, args: string[]) {
  const { values } = parseArgs({ args, options: { "budget-ms": { type: "string" } } });
  if (!cronSecret) throw new UsageError("CRON_SECRET is not set");
  const body = values["budget-ms"] ? { budget_ms: Number(values["budget-ms"]) } : {};
  console.error("Polling due workspaces...");
  const response = await fetch(`${functionsUrl}/poll-sender-emails`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-cron-secret": cronSecret },
    body: JSON.stringify(body),
  });
  const summary = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(`poll-sender-emails answered ${response.status}: ${summary?.error ?? ""}`);
  }
  console.error(
    `Polled ${summary.workspaces} workspaces, ${summary.mailboxes} mailboxes in ${summary.duration_ms} ms` +
      (summary.failed.length ? `; ${summary.failed.length} failed` : ""),
  );
  return {
    workspaces: summary.workspaces,
    mailboxes: summary.mailboxes,
    duration_ms: summary.duration_ms,
    failed: summary.failed,
  };
}

async function reprocess(sql: postgres.Sql, args: string[]) {
  const { values } = parseArgs({
    args,
    options: { "event-id": { type: "string", multiple: true } },
  });
  const ids = (values["event-id"] ?? []).map((id) => {
    if (!/^\d+$/.test(id)) throw new UsageError(`--event-id must be a number, got ${id}`);
    return Number(id);
  });
  const rows = await sql`
    select outcome, events::int from private.reprocess_webhook_events(${ids.length ? ids : null})`;
  const summary = Object.fromEntries(rows.map((row) => [row.outcome, row.events]));
  console.error(rows.length ? `Reprocessed: ${JSON.stringify(summary)}` : "Nothing to reprocess.");
  return summary;
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === "--help" || command === "help") {
    console.error(usage);
    return command ? 0 : 2;
  }
  const { databaseUrl, functionsUrl, cronSecret } = await settings();
  const sql = postgres(databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    let result: unknown;
    switch (command) {
      case "connect":
        result = await connect(sql, functionsUrl, rest);
        break;
      case "rotate-token":
        result = await rotateToken(sql, functionsUrl, rest);
        break;
      case "list":
        result = await list(sql);
        break;
      case "add-workspace":
        result = await addWorkspace(sql, rest);
        break;
      case "discover":
        result = await discover(sql, rest);
        break;
      case "poll":
        result = await poll(functionsUrl, cronSecret, rest);
        break;
      case "reprocess":
        result = await reprocess(sql, rest);
        break;
      default:
        throw new UsageError(`unknown command: ${command}\n${usage}`);
    }
    console.log(JSON.stringify(result));
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    const message = error instanceof UsageError || error instanceof postgres.PostgresError
      ? (error as Error).message
      : String(error);
    console.error(`bison: ${message}`);
    Deno.exit(error instanceof UsageError ? 2 : 1);
  }
}
