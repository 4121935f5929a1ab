// A read the page shows, held in signals: the last good value, the last error, and refresh(),
// which Realtime events call. A burst of events makes at most one read in flight plus one
// after it, so the screen catches up with the database without queueing a read per event.
import { type Signal, signal } from "@preact/signals";

export interface Resource<T> {
  data: Signal<T | undefined>;
  error: Signal<string | null>;
  refresh(): Promise<void>;
}

export function resource<T>(load: () => Promise<T>): Resource<T> {
  const data = signal<T | undefined>(undefined);
  const error = signal<string | null>(null);
  let running: Promise<void> | null = null;
  let again = false;

  async function run() {
    do {
      again = false;
      try {
        data.value = await load();
        error.value = null;
      } catch (failure) {
        error.value = (failure as Error).message;
      }
    } while (again);
    running = null;
  }

  return {
    data,
    error,
    refresh() {
      if (running) {
        again = true;
        return running;
      }
      running = run();
      return running;
    },
  };
}

export interface WorkspaceRows<T> extends Resource<T[]> {
  /** Reads one workspace's rows again and puts them in place of its old ones. */
  refreshWorkspace(workspaceId: number): Promise<void>;
}

/**
 * Rows of a per-workspace view for every visible workspace, which an event about one workspace
 * reads again for that workspace only: the page catches up in the time of a one-workspace read,
 * whatever the number of workspaces. A read of every row that started before a one-workspace
 * read keeps that workspace's newer rows rather than its own older ones.
 */
export function workspaceRows<T extends { workspace_id: number }>(
  loadAll: () => Promise<T[]>,
  loadOne: (workspaceId: number) => Promise<T[]>,
): WorkspaceRows<T> {
  let sequence = 0;
  const oneStartedAt = new Map<number, number>();
  const others = (list: T[] | undefined, ids: Set<number>) =>
    (list ?? []).filter((row) => !ids.has(row.workspace_id));
  const all: Resource<T[]> = resource(async () => {
    const startedAt = ++sequence;
    const rows = await loadAll();
    const newer = new Set(
      [...oneStartedAt].filter(([, at]) => at > startedAt).map(([id]) => id),
    );
    if (newer.size === 0) return rows;
    const kept = (all.data.value ?? []).filter((row) => newer.has(row.workspace_id));
    return [...others(rows, newer), ...kept];
  });
  const ones = new Map<number, Resource<T[]>>();
  return {
    ...all,
    refreshWorkspace(workspaceId) {
      let one = ones.get(workspaceId);
      if (!one) {
        one = resource(async () => {
          oneStartedAt.set(workspaceId, ++sequence);
          const rows = await loadOne(workspaceId);
          all.data.value = [...others(all.data.value, new Set([workspaceId])), ...rows];
          return rows;
        });
        ones.set(workspaceId, one);
      }
      const reading = one;
      // A failed one-workspace read leaves its error on the page by reading everything again.
      return reading.refresh().then(() => (reading.error.value ? all.refresh() : undefined));
    },
  };
}

/** What a supabase-js query answers: rows, or an error to show. */
interface Answer {
  data: unknown;
  error: { message: string; code?: string } | null;
}

/**
 * The rows of a query, as the read model's documented shape T, or an error naming what failed
 * (shown on the page, never swallowed).
 */
export async function rows<T>(what: string, query: PromiseLike<Answer>): Promise<T> {
  const { data, error } = await query;
  if (error) throw new Error(`${what}: ${error.message}${error.code ? ` (${error.code})` : ""}`);
  if (data === null || data === undefined) throw new Error(`${what}: no answer`);
  return data as T;
}
