// Running the mirror from the command line: check the webhooks now, poll now, reprocess failed
// events, and settle workspaces flagged for review.
import {
  OperationalError,
  parseOptions,
  positiveInteger,
  required,
  say,
  UsageError,
} from "./cli.ts";
import { type Context, findConnection, findWorkspace } from "./context.ts";
import { checkConnectionWebhooks } from "./connections.ts";

export const usages = {
  webhooks: "bison webhooks verify [--connection <id or name>] [--workspace <id>]",
  poll: "bison poll [--workspace <id>]... [--force] [--budget-ms <ms>]",
  reprocess: "bison reprocess [--event-id <id>]...",
  review: "bison review accept --workspace <id>\n" +
    "bison review merge --workspace <id> --into <id>",
};

export async function webhooks(ctx: Context, args: string[]) {
  const usage = usages.webhooks;
  const [action, ...rest] = args;
  if (action !== "verify") {
    throw new UsageError(action ? `unknown webhooks action: ${action}` : "missing action", usage);
  }
  const { values } = parseOptions(rest, {
    connection: { type: "string" },
    workspace: { type: "string" },
  }, usage);
  const connection = values.connection
    ? await findConnection(ctx.sql, values.connection, { connected: true })
    : null;
  const workspaceId = values.workspace
    ? (await findWorkspace(ctx.sql, positiveInteger(values.workspace, "workspace", usage))).id
    : undefined;
  say("Checking webhook subscriptions in Bison...");
  const checks = await checkConnectionWebhooks(ctx, connection, { workspaceId });
  if (checks.some((check) => check.changed)) ctx.changes.push("changed subscriptions in Bison");
  const count = (outcome: string) => checks.filter((check) => check.outcome === outcome).length;
  const summary = {
    workspaces: checks.length,
    ok: count("ok"),
    repaired: checks.filter((check) => check.outcome === "repaired")
      .map((check) => ({ workspace: check.bison_workspace_id, detail: check.detail })),
    failed: checks.filter((check) => check.outcome === "failed")
      .map((check) => ({ workspace: check.bison_workspace_id, reason: check.detail })),
  };
  say(
    checks.length
      ? `${checks.length} workspace(s): ${summary.ok} in place, ${summary.repaired.length} ` +
        `repaired, ${summary.failed.length} failed.`
      : "No workspace to check: none has an API key (npm run bison -- onboard).",
  );
  if (summary.failed.length) {
    throw new OperationalError(
      `${summary.failed.length} subscription(s) could not be repaired`,
      summary,
    );
  }
  return summary;
}

/** How long `bison poll` waits for every slice to finish. */
const pollPatienceMs = 15 * 60_000;

export async function poll(ctx: Context, args: string[]) {
  const usage = usages.poll;
  const { values } = parseOptions(args, {
    workspace: { type: "string", multiple: true },
    force: { type: "boolean", default: false },
    "budget-ms": { type: "string" },
  }, usage);
  const { cronSecret, functionsUrl } = ctx.settings;
  if (!cronSecret) throw new UsageError("CRON_SECRET is not set");
  const ids = (values.workspace ?? []).map((id) => positiveInteger(id, "workspace", usage));
  const budget = values["budget-ms"] === undefined
    ? undefined
    : positiveInteger(values["budget-ms"], "budget-ms", usage);
  if (budget !== undefined && (budget < 1000 || budget > 40_000)) {
    throw new UsageError("--budget-ms (one slice's) must be between 1000 and 40000", usage);
  }
  for (const id of ids) {
    await findWorkspace(ctx.sql, id);
    const [key] = await ctx
      .sql`select 1 from private.workspace_api_keys where workspace_id = ${id}`;
    if (!key) {
      throw new UsageError(
        `workspace ${id} has no API key, so it cannot be polled: npm run bison -- onboard`,
        usage,
      );
    }
  }
  if (ids.length || values.force) {
    // Due now, whether or not their time had come.
    const [{ due }] = await ctx.sql`
      with due as (
        insert into private.workspace_poll_state (workspace_id, next_poll_at)
        select k.workspace_id, now() from private.workspace_api_keys k
        where ${ids.length === 0} or k.workspace_id = any(${ids}::bigint[])
        on conflict (workspace_id) do update set next_poll_at = now()
        returning 1
      )
      select count(*)::int as due from due`;
    ctx.changes.push(`made ${due} workspace(s) due`);
    say(`Polling ${due} workspace(s) now...`);
  } else say("Polling the workspaces that are due...");
  // One slice per call (it also queues the next through pg_net where pg_net runs): call again
  // until nothing is due and no slice runs, then report the inventories finished meanwhile.
  const [{ since }] = await ctx.sql`select now() as since`;
  const started = Date.now();
  while (true) {
    const response = await fetch(`${functionsUrl}/poll-sender-emails`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-cron-secret": cronSecret },
      body: JSON.stringify(budget ? { budget_ms: budget } : {}),
    }).catch((error) => {
      throw new OperationalError(
        `poll-sender-emails cannot be reached at ${functionsUrl}: ${error}`,
      );
    });
    const slice = await response.json().catch(() => null);
    if (!response.ok) {
      throw new OperationalError(
        `poll-sender-emails answered ${response.status}: ${slice?.error ?? "no detail"}`,
      );
    }
    const [state] = await ctx.sql`
      select private.poll_work_remaining() as remaining,
             exists (select 1 from private.connection_poll_state
                     where slice_expires_at > now()) as running`;
    if (!state.remaining && !state.running) break;
    if (Date.now() - started > pollPatienceMs) {
      throw new OperationalError(
        `polling has not finished after ${pollPatienceMs / 60_000} minutes (slices still run)`,
      );
    }
    // Another slice holds what is left: wait for it instead of calling in vain.
    if (slice.connection === null) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const runs = await ctx.sql`
    select r.workspace_id::int, w.bison_workspace_id::int, r.mailboxes_seen, r.error
    from public.sender_email_sync_runs r join public.workspaces w on w.id = r.workspace_id
    where r.finished_at >= ${since}`;
  const summary = {
    workspaces: runs.length,
    mailboxes: runs.reduce((sum, run) => sum + run.mailboxes_seen, 0),
    duration_ms: Date.now() - started,
    failed: runs.filter((run) => run.error !== null).map((run) => ({
      workspace_id: run.workspace_id,
      bison_workspace_id: run.bison_workspace_id,
      error: run.error,
    })),
  };
  const [next] = await ctx.sql`
    select s.next_poll_at, s.workspace_id::int,
           (select count(*)::int from public.workspaces w
            join public.bison_connections c on c.id = w.connection_id
            where c.disconnected_at is null
              and not exists (select 1 from private.workspace_api_keys k
                              where k.workspace_id = w.id)) as without_key
    from (select 1) one
    left join lateral (
      select p.next_poll_at, p.workspace_id from private.workspace_poll_state p
      join private.workspace_api_keys k on k.workspace_id = p.workspace_id
      order by p.next_poll_at limit 1
    ) s on true`;
  const result = {
    workspaces: summary.workspaces,
    mailboxes: summary.mailboxes,
    duration_ms: summary.duration_ms,
    failed: summary.failed,
    next_poll_at: next.next_poll_at,
    workspaces_without_key: next.without_key,
  };
  if (summary.workspaces === 0) {
    say(
      "Nothing was due. " +
        (next.next_poll_at
          ? `The next poll is due at ${next.next_poll_at.toISOString()} (workspace ` +
            `${next.workspace_id}); npm run bison -- poll --force polls every workspace now.`
          : "No workspace has an API key yet: npm run bison -- onboard --connection <name> --api-key <key>."),
    );
  } else {
    say(
      `Polled ${summary.workspaces} workspace(s), ${summary.mailboxes} mailboxes in ` +
        `${summary.duration_ms} ms` +
        (summary.failed.length ? `; ${summary.failed.length} failed` : ""),
    );
  }
  if (next.without_key) {
    say(
      `${next.without_key} workspace(s) have no API key and are never polled (see npm run bison -- list).`,
    );
  }
  if (summary.failed.length) {
    throw new OperationalError(`${summary.failed.length} workspace(s) failed to poll`, result);
  }
  return result;
}

export async function reprocess(ctx: Context, args: string[]) {
  const usage = usages.reprocess;
  const { values } = parseOptions(args, { "event-id": { type: "string", multiple: true } }, usage);
  const ids = (values["event-id"] ?? []).map((id) => positiveInteger(id, "event-id", usage));
  if (ids.length) {
    const known = await ctx.sql`
      select id::int from private.webhook_events where id = any(${ids}::bigint[])`;
    const unknown = ids.filter((id) => !known.some((row) => row.id === id));
    if (unknown.length) {
      throw new UsageError(`no webhook event with id ${unknown.join(", ")}`, usage);
    }
  }
  const rows = await ctx.sql`
    select outcome, events::int from private.reprocess_webhook_events(${ids.length ? ids : null})`;
  const summary = {
    reprocessed: rows.reduce((total, row) => total + row.events, 0),
    ...Object.fromEntries(rows.map((row) => [row.outcome, row.events])),
  };
  say(rows.length ? `Reprocessed: ${JSON.stringify(summary)}` : "Nothing to reprocess.");
  return summary;
}

export async function review(ctx: Context, args: string[]) {
  const usage = usages.review;
  const [action, ...rest] = args;
  if (action !== "accept" && action !== "merge") {
    throw new UsageError(action ? `unknown review action: ${action}` : "missing action", usage);
  }
  const { values } = parseOptions(rest, {
    workspace: { type: "string" },
    into: { type: "string" },
  }, usage);
  const workspace = await findWorkspace(
    ctx.sql,
    positiveInteger(required(values.workspace, "workspace", usage), "workspace", usage),
  );
  if (!workspace.needs_review) {
    throw new UsageError(`workspace ${workspace.id} is not flagged for review`, usage);
  }
  if (action === "accept") {
    if (values.into !== undefined) throw new UsageError("--into goes with merge", usage);
    await ctx.sql`select private.accept_review_workspace(${workspace.id})`;
    say(`Accepted workspace ${workspace.id} (Bison ${workspace.bison_workspace_id}).`);
    return { workspace_id: workspace.id, accepted: true };
  }
  const into = await findWorkspace(
    ctx.sql,
    positiveInteger(required(values.into, "into", usage), "into", usage),
  );
  if (into.id === workspace.id || into.connection_id !== workspace.connection_id) {
    throw new UsageError("--into is another workspace of the same connection", usage);
  }
  const [{ merged }] = await ctx.sql`
    select private.merge_review_workspace(${workspace.id}, ${into.id}) as merged`;
  say(
    `Merged workspace ${workspace.id} into ${into.id}, which now stands for Bison workspace ` +
      `${merged.bison_workspace_id}; its events were applied again: ` +
      JSON.stringify(merged.events_applied),
  );
  return merged;
}
