// One slice of mailbox polling: a bounded share of the work (until a wall-clock budget or a page
// count is reached), so that no invocation comes near hosted Supabase's limits whatever the size
// of the agency, and none outlives the run's deadline (run-deadline.ts). A slice leases one
// connection (one slice per connection at a time; every request takes its turn in the budget the
// connection shares with every process, request-budget.ts) and its workers lease that
// connection's due workspaces (an inventory in progress first, then the stalest). A workspace's mailboxes are written only once
// its whole inventory is in; an inventory the slice cannot finish is staged with the URL of its
// next page, and a later slice continues it. While work remains a slice queues another, so each
// connection with work has a chain of its own: a dead instance holds only its own. Its circuit
// breaker stops its workers as soon as requests go unanswered a few times in a row, and leaves it
// alone for a cool-down.
import {
  asWorkspace,
  type BisonClient,
  BisonCredentialError,
  type KeyLock,
  type PageProgress,
  type SenderEmail,
  type WorkspaceKey,
} from "../_shared/bison-client.ts";
import type { ConnectionCall } from "../_shared/bison-access.ts";
import type { RunDeadline } from "../_shared/run-deadline.ts";

export interface ClaimedConnection {
  connection_id: string;
  base_url: string;
  /** Requests in a row the instance left unanswered in earlier slices. */
  breaker_failures: number;
  /** Unanswered requests in a row that open the breaker (setting poll_breaker_failures). */
  breaker_threshold: number;
  /** The cool-down is over: one workspace probes the instance. */
  half_open: boolean;
}

export interface ClaimedWorkspace extends WorkspaceKey {
  workspace_id: number;
  connection_id: string;
  base_url: string;
  sync_run_id: number;
  /** Where an earlier slice stopped this inventory (null: from its first page). */
  resume_url: string | null;
  resume_pages: number;
  resume_fetched: number;
}

export interface SyncFigures {
  pages: number;
  mailboxesSeen: number;
  upserted: number;
  removed: number;
  complete: boolean;
  error: string | null;
}

/** What a slice saw of a connection's instance, for its circuit breaker. */
export interface ConnectionOutcome {
  /** Requests the instance answered (any status). */
  answered: number;
  /** Requests it left unanswered (timeout, network error) since the last answer. */
  unansweredInARow: number;
  lastFailure: string | null;
}

export type BreakerState = "open" | "half_open" | "closed" | "lost";

export interface PollStore {
  /** The connection with the stalest due workspace that no other slice serves, leased. */
  claimConnection(sliceId: string, leaseSeconds: number): Promise<ClaimedConnection | null>;
  claim(
    sliceId: string,
    connectionId: string,
    leaseSeconds: number,
  ): Promise<ClaimedWorkspace | null>;
  /**
   * Applies a complete inventory (what earlier slices staged, then these); held when it lacked
   * too many mailboxes to remove them yet.
   */
  applySnapshot(
    syncRunId: number,
    mailboxes: SenderEmail[],
  ): Promise<{ upserted: number; removed: number; held: boolean }>;
  /** Stages an unfinished inventory's new pages and where to resume; the workspace is due. */
  checkpoint(
    syncRunId: number,
    mailboxes: SenderEmail[],
    next: string,
    pages: number,
    fetched: number,
  ): Promise<void>;
  finish(syncRunId: number, figures: SyncFigures): Promise<void>;
  releaseConnection(
    sliceId: string,
    connectionId: string,
    outcome: ConnectionOutcome,
  ): Promise<BreakerState>;
  /** Whether a new slice would find work now (a connection no slice serves has some). */
  workRemaining(): Promise<boolean>;
  /** Queues the next slice (through pg_net, as the cron job calls it). */
  queueNextSlice(): Promise<void>;
  /**
   * Runs work while holding a lock on this API key shared by every run (a super-admin key's
   * current workspace is global state on Bison's side).
   */
  withKeyLock: KeyLock;
  /** Private Realtime broadcast on workspace:<id>:sync; must never throw. */
  broadcast(workspaceId: number, event: string, payload: Record<string, unknown>): Promise<void>;
}

/** A client of the connection's instance, keeping to its shared request budget. */
export type ClientFactory = (call: ConnectionCall) => BisonClient;

export interface SliceOptions {
  store: PollStore;
  clientFor: ClientFactory;
  /** The run's deadline (run-deadline.ts): requests still in flight then are abandoned. */
  deadline: RunDeadline;
  /** No page is asked for after this long. */
  budgetMs: number;
  /** No page is asked for either once no more than this is left before the deadline. */
  graceMs: number;
  /** Pages per slice: what bounds its CPU and memory. */
  maxPages: number;
  /** Workers (workspaces fetched at once). */
  concurrency: number;
  /** A page not answered within this is unanswered (Bison answers one in about 0.2 s). */
  pageTimeoutMs?: number;
  /** At most one sync_progress broadcast per workspace per this. */
  progressIntervalMs?: number;
  now?: () => number;
}

export interface SliceSummary {
  poll_run_id: string;
  /** Inventories finished (complete or failed) by this slice. */
  workspaces: number;
  /** Inventories this slice left for the next to continue. */
  continued: number;
  /** Mailboxes fetched by this slice. */
  mailboxes: number;
  pages: number;
  duration_ms: number;
  db_write_ms: number;
  failed: { workspace_id: number; bison_workspace_id: number; error: string }[];
  /** Workspaces whose inventory lacked too many mailboxes: nothing removed, alerted. */
  held: { workspace_id: number; bison_workspace_id: number }[];
  /** The connection served (null: none was waiting) and its circuit breaker afterwards. */
  connection: { connection_id: string; breaker: BreakerState; last_failure: string | null } | null;
  /** The slice stopped at its budget or page bound. */
  budget_exhausted: boolean;
  /** Slices this one queued: one at its start when another connection waits, one at its end. */
  slices_queued: number;
}

export const defaultPageTimeoutMs = 10_000;

/** Why a slice stopped a request: the connection's breaker opening. */
class SliceStop extends Error {}

/** Only what the database keeps of a mailbox: Bison's objects carry much more. */
function kept(mailbox: SenderEmail) {
  return {
    id: mailbox.id,
    email: mailbox.email,
    name: mailbox.name,
    status: mailbox.status,
    type: mailbox.type,
    daily_limit: mailbox.daily_limit,
    warmup_enabled: mailbox.warmup_enabled,
    emails_sent_count: mailbox.emails_sent_count,
    total_replied_count: mailbox.total_replied_count,
    total_opened_count: mailbox.total_opened_count,
    unsubscribed_count: mailbox.unsubscribed_count,
    bounced_count: mailbox.bounced_count,
    unique_replied_count: mailbox.unique_replied_count,
    unique_opened_count: mailbox.unique_opened_count,
    total_leads_contacted_count: mailbox.total_leads_contacted_count,
    interested_leads_count: mailbox.interested_leads_count,
    tags: (mailbox.tags ?? []).map((tag) => ({ id: tag.id, name: tag.name })),
    updated_at: mailbox.updated_at,
  } as SenderEmail;
}

/** The instance of one connection as a slice sees it: its breaker and its requests. */
class ConnectionRun {
  readonly breaker = new AbortController();
  readonly signal: AbortSignal;
  answered = 0;
  unansweredInARow = 0;
  lastFailure: string | null = null;

  constructor(readonly connection: ClaimedConnection, sliceSignal: AbortSignal) {
    this.signal = AbortSignal.any([sliceSignal, this.breaker.signal]);
  }

  /** fetch, with every answer and every unanswered request counted for the breaker. */
  readonly fetch: typeof fetch = async (input, init) => {
    try {
      const response = await fetch(input, init);
      this.answered++;
      this.unansweredInARow = 0;
      return response;
    } catch (error) {
      // Our own stop is not the instance's fault; a timeout or a network error is.
      if (!this.signal.aborted) this.unanswered((error as Error).message);
      throw error;
    }
  };

  private unanswered(reason: string) {
    this.unansweredInARow++;
    this.lastFailure = reason.slice(0, 300);
    const inARow = (this.answered ? 0 : this.connection.breaker_failures) + this.unansweredInARow;
    const threshold = this.connection.half_open ? 1 : this.connection.breaker_threshold;
    if (inARow >= threshold && !this.breaker.signal.aborted) {
      this.breaker.abort(
        new SliceStop(`the instance left ${inARow} requests in a row unanswered: circuit open`),
      );
    }
  }

  outcome(): ConnectionOutcome {
    return {
      answered: this.answered,
      unansweredInARow: this.unansweredInARow,
      lastFailure: this.lastFailure,
    };
  }
}

export async function pollSlice(options: SliceOptions): Promise<SliceSummary> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const sliceId = crypto.randomUUID();
  const pageTimeoutMs = options.pageTimeoutMs ?? defaultPageTimeoutMs;
  const progressIntervalMs = options.progressIntervalMs ?? 1000;
  // Leases outlive the run, so that a slow but alive slice keeps what it holds.
  const leaseSeconds = Math.ceil(options.deadline.remainingMs() / 1000) + 60;
  const summary: SliceSummary = {
    poll_run_id: sliceId,
    workspaces: 0,
    continued: 0,
    mailboxes: 0,
    pages: 0,
    duration_ms: 0,
    db_write_ms: 0,
    failed: [],
    held: [],
    connection: null,
    budget_exhausted: false,
    slices_queued: 0,
  };
  const bounded = () =>
    now() - started >= options.budgetMs || options.deadline.near(options.graceMs) ||
    summary.pages >= options.maxPages;
  const stopping = () => {
    if (bounded()) summary.budget_exhausted = true;
    return summary.budget_exhausted;
  };

  // Fetching is slow and parallel; writing is fast. One write at a time keeps the writes from
  // competing with each other for the database (and makes db_write_ms their true total).
  let writeQueue: Promise<unknown> = Promise.resolve();
  function serialisedWrite<T>(write: () => Promise<T>): Promise<T> {
    const result = writeQueue.then(async () => {
      const writeStarted = now();
      try {
        return await write();
      } finally {
        summary.db_write_ms += now() - writeStarted;
      }
    });
    writeQueue = result.catch(() => {});
    return result;
  }

  async function pollOne(run: ConnectionRun, claimed: ClaimedWorkspace) {
    const { workspace_id, sync_run_id } = claimed;
    const resuming = claimed.resume_url !== null;
    const figures: SyncFigures = {
      pages: claimed.resume_pages,
      mailboxesSeen: claimed.resume_fetched,
      upserted: 0,
      removed: 0,
      complete: false,
      error: null,
    };
    // This slice's pages (only what the database keeps of each mailbox), and where to resume
    // after the last of them.
    const fetched: SenderEmail[] = [];
    let fetchedThisSlice = 0;
    let resumeAt = claimed.resume_url ?? "/api/sender-emails";
    // sync_progress at most once per interval: the first at once, the last before the end.
    let lastProgressAt = -Infinity;
    let unsentProgress: Record<string, unknown> | null = null;
    const sendProgress = async () => {
      if (!unsentProgress) return;
      const payload = unsentProgress;
      unsentProgress = null;
      lastProgressAt = now();
      await options.store.broadcast(workspace_id, "sync_progress", payload);
    };

    if (!resuming) {
      await options.store.broadcast(workspace_id, "sync_started", { sync_run_id });
    }
    const client = options.clientFor({
      baseUrl: claimed.base_url,
      apiKey: claimed.api_key,
      connectionId: claimed.connection_id,
      signal: run.signal,
      fetch: run.fetch,
      timeoutMs: pageTimeoutMs,
    });
    const onPage = async (progress: PageProgress<SenderEmail>) => {
      summary.pages++;
      for (const mailbox of progress.items) fetched.push(kept(mailbox));
      fetchedThisSlice += progress.items.length;
      if (progress.next) resumeAt = progress.next;
      figures.pages = progress.page;
      figures.mailboxesSeen = progress.fetched;
      unsentProgress = { sync_run_id, done: progress.fetched, total: progress.total };
      if (now() - lastProgressAt >= progressIntervalMs) await sendProgress();
    };
    try {
      const result = await asWorkspace(
        client,
        claimed,
        options.store.withKeyLock,
        () =>
          client.listSenderEmails(onPage, {
            resume: resuming
              ? {
                from: claimed.resume_url!,
                fetchedBefore: claimed.resume_fetched,
                pagesBefore: claimed.resume_pages,
              }
              : undefined,
            shouldStop: stopping,
            collect: false,
          }),
      );
      summary.mailboxes += fetchedThisSlice;
      await sendProgress();
      if (result.next !== null) {
        await serialisedWrite(() =>
          options.store.checkpoint(
            sync_run_id,
            fetched,
            result.next!,
            figures.pages,
            figures.mailboxesSeen,
          )
        );
        summary.continued++;
        return;
      }
      const { held, ...written } = await serialisedWrite(() =>
        options.store.applySnapshot(sync_run_id, fetched)
      );
      Object.assign(figures, written);
      figures.complete = true;
      if (held) {
        summary.held.push({ workspace_id, bison_workspace_id: claimed.bison_workspace_id });
      }
    } catch (error) {
      if (run.signal.aborted) {
        // Stopped from outside (the slice's deadline, the breaker opening): the pages that came
        // are kept and the inventory goes on later from the page after them.
        summary.mailboxes += fetchedThisSlice;
        await sendProgress();
        await serialisedWrite(() =>
          options.store.checkpoint(
            sync_run_id,
            fetched,
            resumeAt,
            figures.pages,
            figures.mailboxesSeen,
          )
        );
        summary.continued++;
        return;
      }
      figures.error = error instanceof BisonCredentialError
        ? `credential problem: ${error.message}`
        : (error as Error).message;
    }
    await serialisedWrite(() => options.store.finish(sync_run_id, figures));
    summary.workspaces++;
    if (figures.error) {
      summary.failed.push({
        workspace_id,
        bison_workspace_id: claimed.bison_workspace_id,
        error: figures.error,
      });
    }
    await options.store.broadcast(
      workspace_id,
      figures.error ? "sync_failed" : "sync_completed",
      {
        sync_run_id,
        mailboxes: figures.mailboxesSeen,
        upserted: figures.upserted,
        removed: figures.removed,
        ...(figures.error ? { error: figures.error } : {}),
      },
    );
  }

  async function serve(connection: ClaimedConnection) {
    const run = new ConnectionRun(connection, options.deadline.signal);
    const worker = async () => {
      while (!stopping() && !run.signal.aborted) {
        const claimed = await options.store.claim(sliceId, connection.connection_id, leaseSeconds);
        if (!claimed) return;
        await pollOne(run, claimed);
      }
    };
    // A probe after a cool-down is one request at a time.
    const workers = connection.half_open ? 1 : Math.max(1, options.concurrency);
    try {
      await Promise.all(Array.from({ length: workers }, worker));
    } finally {
      const breaker = await options.store.releaseConnection(
        sliceId,
        connection.connection_id,
        run.outcome(),
      );
      summary.connection = {
        connection_id: connection.connection_id,
        breaker,
        last_failure: run.lastFailure,
      };
    }
  }

  const queueIfWorkRemains = async () => {
    if (await options.store.workRemaining()) {
      await options.store.queueNextSlice();
      summary.slices_queued++;
    }
  };

  const connection = await options.store.claimConnection(sliceId, leaseSeconds);
  if (connection) {
    // Another connection waiting gets a chain of its own.
    await queueIfWorkRemains();
    await serve(connection);
    await queueIfWorkRemains();
  }
  summary.duration_ms = Math.round(now() - started);
  summary.db_write_ms = Math.round(summary.db_write_ms);
  return summary;
}
