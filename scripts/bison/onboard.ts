// `bison onboard`: one super-admin key onboards a whole instance. The key is checked first
// (nothing is stored when the instance refuses it), every workspace is recorded, each one gets a
// workspace key of its own (minted in Bison, kept in Vault), our webhook for every event type,
// a test delivery that proves the webhook reaches us, and its history backfilled from Bison's
// daily series. Running it again changes nothing that is already right.
import {
  asWorkspace,
  type BisonClient,
  BisonCredentialError,
  type KeyLock,
} from "../../supabase/functions/_shared/bison-client.ts";
import {
  checkWebhookSubscriptions,
  inParallel,
  subscriptionName,
  type SubscriptionTarget,
} from "../../supabase/functions/_shared/webhook-subscriptions.ts";
import { databaseSubscriptionStore } from "../../supabase/functions/_shared/webhook-subscription-store.ts";
import {
  OperationalError,
  parseOptions,
  positiveInteger,
  printable,
  required,
  say,
  secretOption,
  UsageError,
} from "./cli.ts";
import {
  clientFor,
  type Connection,
  connectionOption,
  type Context,
  explainCheck,
} from "./context.ts";
import { recordWorkspaces } from "./connections.ts";

export const usage = "bison onboard --connection <id or name> --api-key <super-admin key | ->\n" +
  "[--earlier-days <n>] [--no-backfill] [--concurrency <n>] [--test-timeout <s>]";

/** The event a test delivery asks Bison for. */
const testEventType = "email_sent";

interface Failure {
  workspace: number;
  name: string | null;
  step: "key" | "webhook" | "test event" | "backfill";
  reason: string;
}

export async function onboard(ctx: Context, args: string[]) {
  const { values } = parseOptions(args, {
    connection: { type: "string" },
    "api-key": { type: "string" },
    "earlier-days": { type: "string" },
    "no-backfill": { type: "boolean", default: false },
    concurrency: { type: "string", default: "8" },
    "test-timeout": { type: "string", default: "30" },
  }, usage);
  const connection = await connectionOption(ctx, values.connection, usage, { connected: true });
  const superKey = required(
    await secretOption(values["api-key"], "api-key", "BISON_API_KEY", usage),
    "api-key",
    usage,
  );
  const earlierDays = values["earlier-days"] === undefined
    ? null
    : values["earlier-days"] === "0"
    ? 0
    : positiveInteger(values["earlier-days"], "earlier-days", usage);
  const concurrency = positiveInteger(values.concurrency!, "concurrency", usage);
  const testTimeoutMs = positiveInteger(values["test-timeout"]!, "test-timeout", usage) * 1000;
  const started = performance.now();

  // The key first: a refused key, an unreachable URL or another service stores nothing.
  const admin = clientFor(ctx, connection, superKey, { maxAttempts: 2 });
  let listed: { id: number; name: string | null }[];
  let eventTypes: string[];
  try {
    const user = await admin.currentUser();
    const { items } = await admin.listWorkspaces();
    eventTypes = await admin.webhookEventTypes();
    listed = [...new Map(items.map((w) => [w.id, w.name?.trim() ?? null])).entries()]
      .map(([id, name]) => ({ id, name }));
    say(
      `The key of ${printable(user.name ?? user.email ?? "a user")} sees ${listed.length} ` +
        `workspace(s) of ` +
        `${connection.base_url}; Bison offers ${eventTypes.length} webhook event types.`,
    );
  } catch (error) {
    throw explainCheck(error, "--api-key");
  }
  const [{ url: webhookUrl }] = await ctx.sql`
    select private.connection_webhook_url(${connection.id}) as url`;
  if (!webhookUrl) {
    throw new UsageError(
      `connection "${connection.name}" has no webhook URL on record: run npm run bison -- rotate-token ` +
        `--connection ${JSON.stringify(connection.name)} first`,
    );
  }

  const workspaces = await recordWorkspaces(ctx.sql, connection.id, listed, { accept: true });
  ctx.changes.push(`recorded ${workspaces.length} workspace(s)`);
  say(`Recorded ${workspaces.length} workspace(s).`);
  const store = databaseSubscriptionStore(ctx.sql);
  const failed: Failure[] = [];
  const counts = {
    keys_created: 0,
    webhooks_registered: 0,
    webhooks_verified: 0,
    days_backfilled: 0,
  };
  let done = 0;

  await inParallel(workspaces, concurrency, async (workspace) => {
    const fail = (step: Failure["step"], error: unknown) =>
      failed.push({
        workspace: workspace.bison_workspace_id,
        name: workspace.name,
        step,
        reason: (error as Error).message,
      });
    const steps: string[] = [];
    const key = await workspaceKey(ctx, connection, admin, workspace).catch((error) => {
      fail("key", error);
      return null;
    });
    if (key) {
      if (key.created) {
        counts.keys_created++;
        steps.push("key minted");
      }
      const target = (await store.targets(connection.id, workspace.id))[0];
      const [check] = await checkWebhookSubscriptions([target], {
        store,
        clientFor: (t) => clientFor(ctx, t, t.api_key),
        eventTypes,
      });
      if (check.outcome === "failed") fail("webhook", new Error(check.detail ?? "failed"));
      else {
        if (check.changed) {
          counts.webhooks_registered++;
          steps.push(`webhook ${check.detail}`);
        }
        try {
          if (await verifyDelivery(ctx, target, testTimeoutMs)) steps.push("test event arrived");
          counts.webhooks_verified++;
        } catch (error) {
          fail("test event", error);
        }
      }
      if (!values["no-backfill"]) {
        try {
          const days = await backfill(ctx, target, earlierDays, store.withKeyLock);
          counts.days_backfilled += days;
          if (days) steps.push(`${days} days backfilled`);
        } catch (error) {
          fail("backfill", error);
        }
      }
    }
    done++;
    say(
      `  ${done} of ${workspaces.length}: workspace ${workspace.id} (Bison ` +
        `${workspace.bison_workspace_id}${
          workspace.name ? `, ${printable(workspace.name)}` : ""
        }): ` +
        (failed.some((f) => f.workspace === workspace.bison_workspace_id)
          ? "FAILED, see the summary"
          : steps.length
          ? steps.join(", ")
          : "already in place"),
    );
  });
  await store.announceRepairs();

  const summary = {
    connection_id: connection.id,
    workspaces: workspaces.length,
    ...counts,
    failed,
    duration_ms: Math.round(performance.now() - started),
  };
  say(
    `Onboarded ${workspaces.length - new Set(failed.map((f) => f.workspace)).size} of ` +
      `${workspaces.length} workspace(s) in ${(summary.duration_ms / 1000).toFixed(1)} s: ` +
      `${counts.keys_created} key(s) minted, ${counts.webhooks_registered} webhook(s) ` +
      `registered, ${counts.webhooks_verified} verified, ${counts.days_backfilled} day(s) ` +
      "backfilled.",
  );
  if (failed.length) {
    throw new OperationalError(
      `${failed.length} step(s) failed (see "failed"); running onboard again retries them`,
      summary,
    );
  }
  return summary;
}

/**
 * The workspace's own key: the stored one when it still works for that workspace, else one
 * minted now with the super-admin key and stored in Vault.
 */
async function workspaceKey(
  ctx: Context,
  connection: Connection,
  admin: BisonClient,
  workspace: { id: number; bison_workspace_id: number },
): Promise<{ created: boolean }> {
  const [stored] = await ctx.sql`
    select api_key, key_kind from private.workspace_api_access(${workspace.id})`;
  if (stored?.key_kind === "super_admin") return { created: false };
  if (stored) {
    try {
      const user = await clientFor(ctx, connection, stored.api_key, { maxAttempts: 2 })
        .currentUser();
      if (user.team_id === workspace.bison_workspace_id) return { created: false };
    } catch (error) {
      if (!(error instanceof BisonCredentialError)) throw error;
    }
  }
  const minted = await admin.createWorkspaceApiToken(
    workspace.bison_workspace_id,
    subscriptionName(connection.name),
  );
  await ctx.sql`select private.set_workspace_api_key(${workspace.id}, ${minted}, 'workspace')`;
  return { created: true };
}

/**
 * Asks Bison for a test delivery to our URL (marked as a test, so its fixture ids are never
 * ingested) and waits until it arrives. False when this URL was verified before (nothing asked).
 */
async function verifyDelivery(
  ctx: Context,
  target: SubscriptionTarget,
  timeoutMs: number,
): Promise<boolean> {
  const [{ verified }] = await ctx.sql`
    select exists (
      select 1 from private.webhook_subscriptions s
      join private.webhook_token_versions v on v.token_sha256 = s.verified_token_sha256
      where s.workspace_id = ${target.workspace_id} and v.expires_at is null
    ) as verified`;
  if (verified) return false;
  const [{ nonce }] = await ctx.sql`
    select private.expect_webhook_test(${target.workspace_id}) as nonce`;
  await clientFor(ctx, target, target.api_key).sendTestEvent(
    testEventType,
    `${target.webhook_url}/test/${nonce}`,
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await ctx.sql`
      select received_at from private.webhook_test_deliveries where nonce = ${nonce}`;
    if (row?.received_at) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `Bison's test event did not arrive within ${timeoutMs / 1000} s: can the instance reach ` +
      `${new URL(target.webhook_url).origin}?`,
  );
}

/** Backfills the workspace's window from Bison's daily series, once; returns days written. */
async function backfill(
  ctx: Context,
  target: SubscriptionTarget,
  earlierDays: number | null,
  keyLock: KeyLock,
): Promise<number> {
  const [known] = await ctx.sql`
    select 1 from private.workspace_backfills where workspace_id = ${target.workspace_id}`;
  if (known) return 0;
  const [window] = await ctx.sql`
    select first_day::text, boundary_day::text
    from private.backfill_window(${target.workspace_id}, ${earlierDays})`;
  // Bison's series are asked a calendar month at a time: the window cut at month boundaries.
  const months = await ctx.sql<{ start: string; end: string }[]>`
    select greatest(m::date, ${window.first_day}::date)::text as start,
           least((m + interval '1 month')::date - 1, ${window.boundary_day}::date)::text as end
    from generate_series(date_trunc('month', ${window.first_day}::date),
                         ${window.boundary_day}::date, interval '1 month') m
    order by m`;
  const client = clientFor(ctx, target, target.api_key);
  const days = await asWorkspace(client, target, keyLock, async () => {
    const series = [];
    for (const { start, end } of months) series.push(...await client.dailyCounts(start, end));
    return series;
  });
  const [{ written }] = await ctx.sql`
    select private.record_backfill(${target.workspace_id}, ${window.first_day},
      ${window.boundary_day}, ${JSON.stringify(days)}::text::jsonb) as written`;
  return written;
}
