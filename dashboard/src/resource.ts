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
