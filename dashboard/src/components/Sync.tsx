// A mailbox sync in progress, from the poll's broadcasts on workspace:<id>:sync (sync_started,
// sync_progress with done and total, sync_completed, sync_failed).
import type { Payload } from "../live.ts";
import { count } from "../format.ts";
import { Age } from "./ui.tsx";

export interface SyncProgress {
  done: number | null;
  total: number | null;
}

/** The progress an event leaves behind; null once the sync has finished (or failed). */
export function syncProgressFrom(event: string, payload: Payload): SyncProgress | null {
  if (event === "sync_started") return { done: 0, total: null };
  if (event === "sync_progress") {
    const number = (value: unknown) => (typeof value === "number" ? value : null);
    return { done: number(payload.done), total: number(payload.total) };
  }
  return null;
}

export function SyncState(
  { progress, running, lastCompleteAt }: {
    progress: SyncProgress | undefined;
    running: boolean;
    lastCompleteAt: string | null;
  },
) {
  if (progress) {
    const { done, total } = progress;
    return (
      <div class="sync-state running" data-sync="running">
        syncing mailboxes {count(done)}
        {total !== null ? ` of ${count(total)}` : ""}
        <progress max={total ?? undefined} value={done ?? undefined} />
      </div>
    );
  }
  return (
    <div class="sync-state" data-sync={running ? "running" : "idle"}>
      {running ? "syncing mailboxes… " : ""}
      <span class="muted">
        last complete sync <Age at={lastCompleteAt} />
      </span>
    </div>
  );
}
