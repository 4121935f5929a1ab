// What a connection needs of each workspace's webhook subscriptions in Bison, and how a check
// brings them there: our URL present once, every event type Bison offers enabled, no copy left
// pointing at a rotated token. Run by the check-webhook-subscriptions function (every 10 minutes)
// and by the admin CLI (onboard, webhooks verify, rotate-token), so both heal the same way.
import {
  asWorkspace,
  type BisonClient,
  BisonDeadlineError,
  type KeyLock,
  type WebhookSubscription,
  type WorkspaceKey,
} from "./bison-client.ts";
import type { RunDeadline } from "./run-deadline.ts";

/** A workspace whose subscription can be checked (private.webhook_subscription_targets). */
export interface SubscriptionTarget extends WorkspaceKey {
  workspace_id: number;
  workspace_name: string | null;
  connection_id: string;
  connection_name: string;
  base_url: string;
  allow_private_address: boolean;
  webhook_url: string;
  /** The last recorded check's outcome; null when the workspace was never checked. */
  last_status: string | null;
}

export type CheckOutcome = "ok" | "repaired" | "failed";

export interface WorkspaceCheck {
  workspace_id: number;
  bison_workspace_id: number;
  outcome: CheckOutcome;
  /** What changed in Bison (registered, updated, duplicates removed); false when nothing did. */
  changed: boolean;
  bison_webhook_id: number | null;
  /** What was wrong or done, or why it failed; null when all was in place. */
  detail: string | null;
}

export interface SubscriptionStore {
  record(check: WorkspaceCheck): Promise<void>;
  withKeyLock: KeyLock;
}

export interface CheckOptions {
  store: SubscriptionStore;
  clientFor: (target: SubscriptionTarget) => BisonClient;
  concurrency?: number;
  /**
   * A change we are making on purpose (a token rotation): differences are then expected and
   * recorded as ok with this detail, never announced as repairs.
   */
  expectedChange?: string;
  /** The event ids the instance offers, when the caller asked already (else asked per run). */
  eventTypes?: string[];
  onProgress?: (done: number, total: number, check: WorkspaceCheck) => void;
  /**
   * The run's deadline: no workspace is started once it is near, and one its deadline cut short
   * is neither recorded nor returned; both are left for the next run (and the Bison clients from
   * clientFor should carry its signal).
   */
  deadline?: RunDeadline;
}

/** Time a workspace's check needs at least (a few requests), so none starts with less left. */
const workspaceCheckReserveMs = 5_000;

/** The name of our subscriptions in Bison (display only: ours are recognised by their URL). */
export const subscriptionName = (connectionName: string) => `Bison mirror (${connectionName})`;

/** Our URLs differ only by token: everything up to the function's path identifies them. */
function webhookUrlPrefix(webhookUrl: string): string {
  return webhookUrl.slice(0, webhookUrl.lastIndexOf("/") + 1);
}

export function isOurSubscription(
  subscription: WebhookSubscription,
  target: Pick<SubscriptionTarget, "webhook_url" | "connection_name">,
): boolean {
  return subscription.url.startsWith(webhookUrlPrefix(target.webhook_url)) ||
    subscription.name === subscriptionName(target.connection_name);
}

/**
 * Brings one workspace's subscriptions to what the connection needs, with the key of that
 * workspace. Returns what was wrong and done; throws when Bison refuses.
 */
export async function reconcileSubscription(
  client: BisonClient,
  target: SubscriptionTarget,
  eventTypes: string[],
): Promise<{ id: number; changes: string[] }> {
  const ours = (await client.listWebhookSubscriptions())
    .filter((subscription) => isOurSubscription(subscription, target));
  const desired = {
    name: subscriptionName(target.connection_name),
    url: target.webhook_url,
    events: eventTypes,
  };
  const changes: string[] = [];
  const keep = ours.find((subscription) => subscription.url === target.webhook_url) ?? ours[0];
  let id: number;
  if (!keep) {
    id = (await client.createWebhookSubscription(desired)).id;
    changes.push("registered");
  } else {
    id = keep.id;
    const problems: string[] = [];
    if (keep.url !== target.webhook_url) {
      problems.push(
        keep.url.startsWith(webhookUrlPrefix(target.webhook_url))
          ? "it pointed at a rotated token"
          : "it pointed at another URL",
      );
    }
    const enabled = new Set(keep.events ?? []);
    const disabled = eventTypes.filter((type) => !enabled.has(type));
    if (disabled.length) {
      problems.push(
        `${disabled.length} event(s) were disabled (${disabled.slice(0, 5).join(", ")}${
          disabled.length > 5 ? ", ..." : ""
        })`,
      );
    }
    if (problems.length) {
      await client.updateWebhookSubscription(keep.id, desired);
      changes.push(`updated: ${problems.join("; ")}`);
    }
  }
  const duplicates = ours.filter((subscription) => subscription.id !== id);
  for (const duplicate of duplicates) await client.deleteWebhookSubscription(duplicate.id);
  if (duplicates.length) changes.push(`removed ${duplicates.length} duplicate(s)`);
  return { id, changes };
}

/**
 * Runs tasks with at most `limit` at a time, in order of the input, taking no new item once
 * `stop` says so. The results, in input order, of the tasks that ran; a task may return
 * undefined for an item it left undone.
 */
export async function inParallel<T, R>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<R | undefined>,
  stop: () => boolean = () => false,
): Promise<R[]> {
  const results: (R | undefined)[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !stop()) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  });
  await Promise.all(workers);
  return results.filter((result): result is R => result !== undefined);
}

/**
 * Checks and repairs the subscriptions of every target, records each outcome, and returns them.
 * A workspace never failing another: each failure is recorded against its own workspace. With a
 * deadline, the targets it left for the next run are missing from what is returned.
 */
export async function checkWebhookSubscriptions(
  targets: SubscriptionTarget[],
  options: CheckOptions,
): Promise<WorkspaceCheck[]> {
  // The event types an instance offers, asked once per connection and run.
  const eventTypes = new Map<string, Promise<string[]>>();
  const typesFor = async (target: SubscriptionTarget, client: BisonClient) => {
    if (options.eventTypes) return options.eventTypes;
    const asked = eventTypes.get(target.connection_id);
    if (asked) {
      try {
        return await asked;
      } catch { /* asked with another workspace's key, which failed: ask with this one's */ }
    }
    const asking = client.webhookEventTypes();
    eventTypes.set(target.connection_id, asking);
    return await asking;
  };
  let done = 0;
  return await inParallel(targets, options.concurrency ?? 6, async (target) => {
    const client = options.clientFor(target);
    let check: WorkspaceCheck;
    try {
      const { id, changes } = await asWorkspace(
        client,
        target,
        options.store.withKeyLock,
        async () => reconcileSubscription(client, target, await typesFor(target, client)),
      );
      // A first registration, or a change made on purpose, is no repair.
      const repaired = changes.length > 0 && !options.expectedChange && target.last_status !== null;
      check = {
        workspace_id: target.workspace_id,
        bison_workspace_id: target.bison_workspace_id,
        outcome: repaired ? "repaired" : "ok",
        changed: changes.length > 0,
        bison_webhook_id: id,
        detail: !changes.length
          ? null
          : repaired
          ? changes.map((change) =>
            change === "registered" ? "registered again (it had been deleted)" : change
          ).join("; ")
          : options.expectedChange ?? changes.join("; "),
      };
    } catch (error) {
      if (error instanceof BisonDeadlineError) return undefined;
      check = {
        workspace_id: target.workspace_id,
        bison_workspace_id: target.bison_workspace_id,
        outcome: "failed",
        changed: false,
        bison_webhook_id: null,
        detail: (error as Error).message,
      };
    }
    await options.store.record(check);
    options.onProgress?.(++done, targets.length, check);
    return check;
  }, () => options.deadline?.near(workspaceCheckReserveMs) ?? false);
}
