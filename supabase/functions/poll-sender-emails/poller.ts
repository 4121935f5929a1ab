// Polls due workspaces' mailbox inventories: leased one at a time from the database (so
// overlapping runs never poll a workspace twice), several in parallel (each with its own key),
// within a wall-clock budget that leaves the rest for the next run. A workspace's mailboxes are
// written only after a complete fetch; any failure stays with that workspace.
import {
  asWorkspace,
  type BisonClient,
  BisonCredentialError,
  type KeyLock,
  type PageProgress,
  type SenderEmail,
  type WorkspaceKey,
} from "../_shared/bison-client.ts";

export interface ClaimedWorkspace extends WorkspaceKey {
  workspace_id: number;
  base_url: string;
  sync_run_id: number;
  /** The connection's request budget (private.bison_requests_per_minute). */
  requests_per_minute: number;
}

export interface SyncFigures {
  pages: number;
  mailboxesSeen: number;
  upserted: number;
  removed: number;
  complete: boolean;
  error: string | null;
}

export interface PollStore {
  claim(pollRunId: string, leaseSeconds: number): Promise<ClaimedWorkspace | null>;
  /** Applies a complete inventory; held when it lacked too many mailboxes to remove them yet. */
  applySnapshot(
    syncRunId: number,
    mailboxes: SenderEmail[],
  ): Promise<{ upserted: number; removed: number; held: boolean }>;
  finish(syncRunId: number, figures: SyncFigures): Promise<void>;
  /**
   * Runs work while holding a lock on this API key shared by every run (a super-admin key's
   * current workspace is global state on Bison's side).
   */
  withKeyLock: KeyLock;
  /** Private Realtime broadcast on workspace:<id>:sync; must never throw. */
  broadcast(workspaceId: number, event: string, payload: Record<string, unknown>): Promise<void>;
}

export interface PollOptions {
  store: PollStore;
  clientFor: (baseUrl: string, apiKey: string, requestsPerMinute?: number) => BisonClient;
  budgetMs: number;
  concurrency: number;
  now?: () => number;
}

export interface PollSummary {
  poll_run_id: string;
  workspaces: number;
  mailboxes: number;
  duration_ms: number;
  db_write_ms: number;
  failed: { workspace_id: number; bison_workspace_id: number; error: string }[];
  /** Workspaces whose inventory lacked too many mailboxes: nothing removed, alerted. */
  held: { workspace_id: number; bison_workspace_id: number }[];
  budget_exhausted: boolean;
}

export async function pollDueWorkspaces(options: PollOptions): Promise<PollSummary> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const pollRunId = crypto.randomUUID();
  // A lease outlives the budget so that a slow but alive run keeps its workspace.
  const leaseSeconds = Math.ceil(options.budgetMs / 1000) + 120;
  const summary: PollSummary = {
    poll_run_id: pollRunId,
    workspaces: 0,
    mailboxes: 0,
    duration_ms: 0,
    db_write_ms: 0,
    failed: [],
    held: [],
    budget_exhausted: false,
  };

  // Fetching is slow and parallel; writing is fast. One write at a time keeps the writes from
  // competing with each other for the database (and makes db_write_ms their true total).
  let writeQueue: Promise<unknown> = Promise.resolve();
  function serialisedWrite<T>(write: () => Promise<T>): Promise<T> {
    const result = writeQueue.then(write);
    writeQueue = result.catch(() => {});
    return result;
  }

  async function pollOne(claimed: ClaimedWorkspace) {
    const figures: SyncFigures = {
      pages: 0,
      mailboxesSeen: 0,
      upserted: 0,
      removed: 0,
      complete: false,
      error: null,
    };
    await options.store.broadcast(claimed.workspace_id, "sync_started", {
      sync_run_id: claimed.sync_run_id,
    });
    try {
      const client = options.clientFor(
        claimed.base_url,
        claimed.api_key,
        claimed.requests_per_minute,
      );
      const fetchAll = () =>
        client.listSenderEmails(async (progress: PageProgress) => {
          figures.pages = progress.page;
          figures.mailboxesSeen = progress.fetched;
          await options.store.broadcast(claimed.workspace_id, "sync_progress", {
            sync_run_id: claimed.sync_run_id,
            done: progress.fetched,
            total: progress.total,
          });
        });
      const { items, pages } = await asWorkspace(
        client,
        claimed,
        options.store.withKeyLock,
        fetchAll,
      );
      figures.pages = pages;
      figures.mailboxesSeen = items.length;
      const { held, ...written } = await serialisedWrite(async () => {
        const writeStarted = now();
        const applied = await options.store.applySnapshot(claimed.sync_run_id, items);
        summary.db_write_ms += now() - writeStarted;
        return applied;
      });
      Object.assign(figures, written);
      figures.complete = true;
      if (held) {
        summary.held.push({
          workspace_id: claimed.workspace_id,
          bison_workspace_id: claimed.bison_workspace_id,
        });
      }
    } catch (error) {
      figures.error = error instanceof BisonCredentialError
        ? `credential problem: ${error.message}`
        : (error as Error).message;
    }
    await options.store.finish(claimed.sync_run_id, figures);
    summary.workspaces++;
    summary.mailboxes += figures.mailboxesSeen;
    if (figures.error) {
      summary.failed.push({
        workspace_id: claimed.workspace_id,
        bison_workspace_id: claimed.bison_workspace_id,
        error: figures.error,
      });
    }
    await options.store.broadcast(
      claimed.workspace_id,
      figures.error ? "sync_failed" : "sync_completed",
      {
        sync_run_id: claimed.sync_run_id,
        mailboxes: figures.mailboxesSeen,
        upserted: figures.upserted,
        removed: figures.removed,
        ...(figures.error ? { error: figures.error } : {}),
      },
    );
  }

  async function worker() {
    while (true) {
      if (now() - started >= options.budgetMs) {
        summary.budget_exhausted = true;
        return;
      }
      const claimed = await options.store.claim(pollRunId, leaseSeconds);
      if (!claimed) return;
      await pollOne(claimed);
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  summary.duration_ms = Math.round(now() - started);
  summary.db_write_ms = Math.round(summary.db_write_ms);
  return summary;
}
