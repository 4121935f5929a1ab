// Connections and their workspaces: connect an instance, rotate its webhook token, add a
// workspace's key by hand, discover workspaces, list everything with its state, disconnect.
import { join } from "node:path";
import type postgres from "postgres";
import { storableJson } from "../../supabase/functions/_shared/json.ts";
import {
  assertPublicHost,
  PrivateAddressError,
} from "../../supabase/functions/_shared/network-address.ts";
import {
  asWorkspace,
  BisonCredentialError,
} from "../../supabase/functions/_shared/bison-client.ts";
import {
  checkWebhookSubscriptions,
  isOurSubscription,
  type WorkspaceCheck,
} from "../../supabase/functions/_shared/webhook-subscriptions.ts";
import { databaseSubscriptionStore } from "../../supabase/functions/_shared/webhook-subscription-store.ts";
import { dbUrl, stackConfig } from "../local/config.ts";
import { stopPidFile } from "../local/process.ts";
import {
  OperationalError,
  parseOptions,
  positiveInteger,
  printable,
  required,
  say,
  secretOption,
  table,
  UsageError,
} from "./cli.ts";
import {
  clientFor,
  type Connection,
  connectionOption,
  type Context,
  explainCheck,
  findConnection,
} from "./context.ts";

/** The connection `npm start` creates for its simulated instance; no other may take the name. */
export const demoConnectionName = "demo";

export const usages = {
  connect: "bison connect --name <name> --base-url <url> [--timezone <IANA zone>]\n" +
    "[--allow-private-address] [--no-check]",
  rotateToken: "bison rotate-token --connection <id or name> [--grace-minutes <n>]",
  addWorkspace:
    "bison add-workspace --connection <id or name> --workspace-id <n> --api-key <key | ->\n" +
    "[--name <name>] [--super-admin] [--no-check]",
  discover: "bison discover --connection <id or name> --api-key <super-admin key | ->",
  list: "bison list [--connection <id or name>] [--json]",
  disconnect: "bison disconnect --connection <id or name> [--purge --confirm <connection name>]",
};

function newWebhookToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

const webhookUrl = (functionsUrl: string) =>
  `${functionsUrl}/universal-bison-webhook/${newWebhookToken()}`;

function normaliseBaseUrl(raw: string, usage: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--base-url is not a URL: ${raw}`, usage);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError("--base-url must be an http(s) URL", usage);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(
      "--base-url is the instance's address only (no credentials, query or fragment)",
      usage,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Does the URL lead to an Email Bison API? Asked without a key, Bison answers /api/users with a
 * JSON 401; anything else is a wrong URL, a wrong service or no service.
 */
async function checkInstance(
  ctx: Context,
  connection: Pick<Connection, "base_url" | "allow_private_address">,
) {
  try {
    await clientFor(ctx, connection, "bison-mirror-connection-check", { maxAttempts: 1 })
      .currentUser();
  } catch (error) {
    if (error instanceof BisonCredentialError && error.status === 401) return;
    throw explainCheck(error, `--base-url ${connection.base_url}`);
  }
  throw new UsageError(
    `--base-url ${connection.base_url}: this does not answer like Email Bison ` +
      "(it served /api/users without a key)",
  );
}

export async function connect(ctx: Context, args: string[]) {
  const usage = usages.connect;
  const { values } = parseOptions(args, {
    name: { type: "string" },
    "base-url": { type: "string" },
    timezone: { type: "string", default: "UTC" },
    "allow-private-address": { type: "boolean", default: false },
    "no-check": { type: "boolean", default: false },
    // Only `npm start` passes it, for its simulated instance.
    demo: { type: "boolean", default: false },
  }, usage);
  const name = required(values.name, "name", usage);
  if (name.length > 100) throw new UsageError("--name is at most 100 characters", usage);
  if ((name === demoConnectionName) !== values.demo) {
    throw new UsageError(`the name "${demoConnectionName}" is kept for the npm start demo`, usage);
  }
  const baseUrl = normaliseBaseUrl(required(values["base-url"], "base-url", usage), usage);
  const timezone = values.timezone!;
  const [{ valid }] = await ctx.sql`select private.is_valid_timezone(${timezone}) as valid`;
  if (!valid) {
    throw new UsageError(
      `--timezone ${timezone} is not an IANA time zone (e.g. America/Chicago, UTC)`,
      usage,
    );
  }
  const allowPrivate = values["allow-private-address"]!;
  if (!allowPrivate) {
    try {
      await assertPublicHost(baseUrl);
    } catch (error) {
      // Offline setups (--no-check) may not resolve the name; the client checks before each call.
      if (error instanceof PrivateAddressError || !values["no-check"]) {
        throw new UsageError(`--base-url: ${(error as Error).message}`, usage);
      }
    }
  }
  const [known] = await ctx.sql`select 1 from public.bison_connections where name = ${name}`;
  if (known) throw new UsageError(`a connection named "${name}" already exists`, usage);
  if (!values["no-check"]) {
    await checkInstance(ctx, { base_url: baseUrl, allow_private_address: allowPrivate });
  }

  const url = webhookUrl(ctx.settings.functionsUrl);
  const connection = await ctx.sql.begin(async (tx) => {
    const [row] = await tx<Connection[]>`
      insert into public.bison_connections (name, base_url, timezone, allow_private_address)
      values (${name}, ${baseUrl}, ${timezone}, ${allowPrivate})
      returning id, name, base_url, timezone, allow_private_address,
        disconnected_at`;
    await tx`select private.set_webhook_url(${row.id}, ${url})`;
    return row;
  });
  ctx.changes.push(`created the connection "${printable(connection.name)}"`);
  say(
    `Connected "${printable(connection.name)}" (${connection.base_url}, ${connection.timezone}).`,
  );
  const demoRemoved = values.demo ? null : await removeDemo(ctx);
  say(
    "Next: npm run bison -- onboard --connection " + JSON.stringify(connection.name) +
      " --api-key <super-admin key>  (records every workspace, its key and its webhook).",
  );
  return {
    connection_id: connection.id,
    name: connection.name,
    base_url: connection.base_url,
    timezone: connection.timezone,
    allow_private_address: connection.allow_private_address,
    // The token inside is a credential: shown here once, kept only in Vault.
    webhook_url: url,
    demo_removed: demoRemoved !== null,
  };
}

/**
 * A real connection replaces the demo: its connection and data are purged, and where this is the
 * local development stack, its simulator is stopped too.
 */
export async function removeDemo(ctx: Context): Promise<Record<string, unknown> | null> {
  const [demo] = await ctx.sql`
    select id from public.bison_connections where name = ${demoConnectionName}`;
  if (!demo) return null;
  const [{ purged }] = await ctx.sql`select private.purge_connection(${demo.id}) as purged`;
  say(
    `Removed the demo connection and its data (${purged.workspaces_deleted} workspaces, ` +
      `${purged.events_deleted} events): a real instance is connected.`,
  );
  const dev = stackConfig("dev");
  if (ctx.settings.databaseUrl === dbUrl(dev)) {
    if (await stopPidFile(join(dev.pidDir, "simulator.pid"))) say("Stopped the demo simulator.");
  }
  return purged;
}

/** The subscriptions of a connection's workspaces, checked (and repaired) now. */
export async function checkConnectionWebhooks(
  ctx: Context,
  connection: Connection | null,
  options: { workspaceId?: number; expectedChange?: string } = {},
): Promise<WorkspaceCheck[]> {
  const store = databaseSubscriptionStore(ctx.sql);
  const targets = await store.targets(connection?.id ?? null, options.workspaceId ?? null);
  const checks = await checkWebhookSubscriptions(targets, {
    store,
    clientFor: (target) => clientFor(ctx, target, target.api_key),
    expectedChange: options.expectedChange,
    onProgress: (done, total, check) =>
      say(
        `  ${done} of ${total}: workspace ${check.workspace_id} (Bison ${check.bison_workspace_id}) ` +
          check.outcome +
          (check.detail ? ` (${printable(check.detail)})` : ""),
      ),
  });
  await store.announceRepairs();
  return checks;
}

export async function rotateToken(ctx: Context, args: string[]) {
  const usage = usages.rotateToken;
  const { values } = parseOptions(args, {
    connection: { type: "string" },
    "grace-minutes": { type: "string" },
  }, usage);
  const connection = await connectionOption(ctx, values.connection, usage, { connected: true });
  const grace = values["grace-minutes"] === undefined
    ? null
    : `${
      values["grace-minutes"] === "0"
        ? 0
        : positiveInteger(values["grace-minutes"], "grace-minutes", usage)
    } minutes`;
  const url = webhookUrl(ctx.settings.functionsUrl);
  const [{ until }] = await ctx.sql`
    select private.set_webhook_url(${connection.id}, ${url}, ${grace}::interval) as until`;
  ctx.changes.push("set a new webhook token");
  say(
    `New webhook token for "${connection.name}"; the old one works until ` +
      `${until ? until.toISOString() : "now"}. Moving every registration to the new URL:`,
  );
  const checks = await checkConnectionWebhooks(ctx, connection, {
    expectedChange: "moved to the new webhook URL (token rotated)",
  });
  const failed = checks.filter((check) => check.outcome === "failed");
  const result = {
    connection_id: connection.id,
    name: connection.name,
    webhook_url: url,
    previous_token_valid_until: until,
    webhooks_updated: checks.filter((check) => check.changed).length,
    failed: failed.map((check) => ({
      workspace: check.bison_workspace_id,
      reason: check.detail,
    })),
  };
  if (failed.length) {
    throw new OperationalError(
      `${failed.length} registration(s) could not be moved: they keep receiving until the old ` +
        "token expires (npm run bison -- webhooks verify retries)",
      result,
    );
  }
  return result;
}

export async function addWorkspace(ctx: Context, args: string[]) {
  const usage = usages.addWorkspace;
  const { values } = parseOptions(args, {
    connection: { type: "string" },
    "workspace-id": { type: "string" },
    "api-key": { type: "string" },
    name: { type: "string" },
    "super-admin": { type: "boolean", default: false },
    "no-check": { type: "boolean", default: false },
  }, usage);
  const connection = await connectionOption(ctx, values.connection, usage, { connected: true });
  const bisonId = positiveInteger(
    required(values["workspace-id"], "workspace-id", usage),
    "workspace-id",
    usage,
  );
  const apiKey = required(
    await secretOption(values["api-key"], "api-key", "BISON_API_KEY", usage),
    "api-key",
    usage,
  );
  if (apiKey.length < 8 || /\s/.test(apiKey)) {
    throw new UsageError("--api-key: an Email Bison key is a single token (<id>|<token>)", usage);
  }
  const superAdmin = values["super-admin"]!;
  let name = values.name ?? null;
  if (!values["no-check"]) {
    const client = clientFor(ctx, connection, apiKey, { maxAttempts: 2 });
    try {
      if (superAdmin) {
        const { items } = await client.listWorkspaces();
        const workspace = items.find((w) => w.id === bisonId);
        if (!workspace) {
          throw new UsageError(
            `--workspace-id ${bisonId}: the key does not see that workspace (it sees ${
              items.map((w) => w.id).join(", ") || "none"
            })`,
          );
        }
        name ??= workspace.name?.trim() ?? null;
      } else {
        const user = await client.currentUser();
        if (user.team_id !== bisonId) {
          throw new UsageError(
            `--api-key belongs to workspace ${user.team_id ?? "(none)"}${
              user.team_name ? ` (${user.team_name})` : ""
            }, not ${bisonId}`,
          );
        }
        name ??= user.team_name?.trim() ?? null;
      }
    } catch (error) {
      throw explainCheck(error, "--api-key");
    }
  }
  const workspace = await ctx.sql.begin(async (tx) => {
    const [row] = await tx`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      values (${connection.id}, ${bisonId}, ${name})
      on conflict (connection_id, bison_workspace_id) do update
        set name = coalesce(excluded.name, public.workspaces.name), needs_review = false,
            updated_at = now()
      returning id::int, bison_workspace_id::int, name`;
    await tx`select private.set_workspace_api_key(${row.id}, ${apiKey},
               ${superAdmin ? "super_admin" : "workspace"})`;
    return row;
  });
  say(
    `Workspace ${workspace.bison_workspace_id} of "${connection.name}" will be polled with its ` +
      `key${values["no-check"] ? " (not checked)" : " (checked)"}.`,
  );
  return { workspace_id: workspace.id, bison_workspace_id: workspace.bison_workspace_id };
}

/** Records the instance's workspaces (Bison's order, each once) in one statement. */
export async function recordWorkspaces(
  sql: postgres.Sql,
  connectionId: string,
  listed: { id: number; name: string | null }[],
  options: { accept: boolean },
) {
  const rows = await sql`
    insert into public.workspaces as w (connection_id, bison_workspace_id, name)
    select ${connectionId}, d.id, btrim(d.name)
    from jsonb_to_recordset(${storableJson(JSON.stringify(listed))}::text::jsonb)
      as d(id bigint, name text)
    on conflict (connection_id, bison_workspace_id) do update
      set name = coalesce(excluded.name, w.name),
          needs_review = w.needs_review and not ${options.accept},
          updated_at = now()
    returning w.id::int, w.bison_workspace_id::int, w.name,
      exists (select 1 from private.workspace_api_keys k where k.workspace_id = w.id)
        as has_api_key`;
  const position = new Map(listed.map((w, index) => [w.id, index]));
  return [...rows].sort((a, b) =>
    position.get(a.bison_workspace_id)! - position.get(b.bison_workspace_id)!
  ) as { id: number; bison_workspace_id: number; name: string | null; has_api_key: boolean }[];
}

export async function discover(ctx: Context, args: string[]) {
  const usage = usages.discover;
  const { values } = parseOptions(args, {
    connection: { type: "string" },
    "api-key": { type: "string" },
  }, usage);
  const connection = await connectionOption(ctx, values.connection, usage, { connected: true });
  const apiKey = required(
    await secretOption(values["api-key"], "api-key", "BISON_API_KEY", usage),
    "api-key",
    usage,
  );
  let items;
  try {
    ({ items } = await clientFor(ctx, connection, apiKey).listWorkspaces());
  } catch (error) {
    throw explainCheck(error, "--api-key");
  }
  const listed = [...new Map(items.map((w) => [w.id, w.name ?? null])).entries()]
    .map(([id, name]) => ({ id, name }));
  const recorded = await recordWorkspaces(ctx.sql, connection.id, listed, { accept: false });
  for (const row of recorded) {
    say(
      `${row.bison_workspace_id}\t${printable(row.name ?? "")}\t${
        row.has_api_key ? "key stored" : "no key yet: npm run bison -- onboard"
      }`,
    );
  }
  return recorded;
}

interface ListedWorkspace {
  workspace_id: number;
  bison_workspace_id: number;
  name: string | null;
  needs_review: boolean;
  key: "workspace" | "super_admin" | null;
  webhook: "verified" | "registered" | "repaired" | "failed" | null;
  /** ISO times, as jsonb gives them. */
  last_complete_sync_at: string | null;
  last_event_at: string | null;
}

export async function list(ctx: Context, args: string[]) {
  const usage = usages.list;
  const { values } = parseOptions(args, { connection: { type: "string" } }, usage);
  const only = values.connection ? await findConnection(ctx.sql, values.connection) : null;
  const connections = await ctx.sql`
    select c.id as connection_id, c.name, c.base_url, c.timezone, c.allow_private_address,
           c.disconnected_at,
           coalesce(jsonb_agg(jsonb_build_object(
             'workspace_id', w.id, 'bison_workspace_id', w.bison_workspace_id, 'name', w.name,
             'needs_review', w.needs_review, 'key', k.key_kind,
             'webhook', case
               when s.status = 'failed' then 'failed'
               when s.verified_token_sha256 is not null and exists (
                 select 1 from private.webhook_tokens t
                 where t.connection_id = c.id and t.token_sha256 = s.verified_token_sha256)
                 then 'verified'
               when s.status = 'repaired' then 'repaired'
               when s.status = 'ok' then 'registered'
             end,
             'last_complete_sync_at', p.last_complete_sync_at,
             'last_event_at', (select max(e.received_at) from private.webhook_events e
                               where e.workspace_id = w.id))
             order by w.bison_workspace_id) filter (where w.id is not null), '[]') as workspaces
    from public.bison_connections c
    left join public.workspaces w on w.connection_id = c.id
    left join private.workspace_api_keys k on k.workspace_id = w.id
    left join private.webhook_subscriptions s on s.workspace_id = w.id
    left join private.workspace_poll_state p on p.workspace_id = w.id
    where ${only?.id ?? null}::uuid is null or c.id = ${only?.id ?? null}
    group by c.id order by c.name`;
  if (values.json) return connections;
  const when = (at: string | null) => at ? new Date(at).toISOString().slice(0, 16) + "Z" : "never";
  const lines: string[] = [];
  for (const connection of connections) {
    const workspaces = connection.workspaces as ListedWorkspace[];
    lines.push(
      `${printable(connection.name)}  ${printable(connection.base_url)}  ${connection.timezone}  ` +
        (connection.disconnected_at
          ? `disconnected ${when(connection.disconnected_at)}`
          : "connected") +
        (connection.allow_private_address ? "  (private addresses allowed)" : "") +
        `  ${workspaces.length} workspace(s)`,
    );
    if (workspaces.length) {
      lines.push(
        table(
          [
            "  id",
            "bison id",
            "name",
            "state",
            "key",
            "webhook",
            "last complete sync",
            "last event",
          ],
          workspaces.map((w) => [
            `  ${w.workspace_id}`,
            w.bison_workspace_id,
            w.name,
            w.needs_review ? "needs review" : "ok",
            w.key ?? "none",
            connection.disconnected_at ? "-" : w.webhook ?? "not checked",
            when(w.last_complete_sync_at),
            when(w.last_event_at),
          ]),
        ),
      );
    }
    lines.push("");
  }
  console.log(
    lines.length ? lines.join("\n").trimEnd() : "No connection yet: npm run bison -- connect",
  );
  return undefined;
}

export async function disconnect(ctx: Context, args: string[]) {
  const usage = usages.disconnect;
  const { values } = parseOptions(args, {
    connection: { type: "string" },
    purge: { type: "boolean", default: false },
    confirm: { type: "string" },
  }, usage);
  const connection = await connectionOption(ctx, values.connection, usage);
  if (values.purge && values.confirm !== connection.name) {
    throw new UsageError(
      `--purge deletes every row of "${connection.name}": confirm with --confirm ${
        JSON.stringify(connection.name)
      }`,
      usage,
    );
  }
  if (values.confirm !== undefined && !values.purge) {
    throw new UsageError("--confirm goes with --purge", usage);
  }
  const store = databaseSubscriptionStore(ctx.sql);
  const targets = await store.targets(connection.id);
  let deleted = 0;
  const failed: { workspace: number; reason: string }[] = [];
  for (const target of targets) {
    try {
      const client = clientFor(ctx, target, target.api_key, { maxAttempts: 2 });
      await asWorkspace(client, target, store.withKeyLock, async () => {
        for (const subscription of await client.listWebhookSubscriptions()) {
          if (!isOurSubscription(subscription, target)) continue;
          await client.deleteWebhookSubscription(subscription.id);
          deleted++;
          if (deleted === 1) ctx.changes.push("deleted webhook registrations in Bison");
        }
      });
    } catch (error) {
      failed.push({ workspace: target.bison_workspace_id, reason: (error as Error).message });
    }
  }
  say(
    `Deleted ${deleted} webhook registration(s) of "${connection.name}" in Bison` +
      (failed.length ? `; ${failed.length} workspace(s) could not be reached (see failed)` : "."),
  );
  const [{ outcome }] = values.purge
    ? await ctx.sql`select private.purge_connection(${connection.id}) as outcome`
    : await ctx.sql`select private.disconnect_connection(${connection.id}) as outcome`;
  say(
    values.purge
      ? `Purged "${connection.name}": ${outcome.workspaces_deleted} workspace(s) and ` +
        `${outcome.events_deleted} event(s) deleted.`
      : `Disconnected "${connection.name}": its webhook token is revoked and its API keys are ` +
        "deleted from Vault, so nothing polls or checks it any more; its history is kept.",
  );
  return {
    connection_id: connection.id,
    name: connection.name,
    webhooks_deleted: deleted,
    purged: values.purge,
    ...outcome,
    failed,
  };
}
