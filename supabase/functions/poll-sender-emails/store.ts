// The poll store backed by the SQL functions of migration create_mailbox_polling.
import type { Sql } from "../_shared/database.ts";
import type { ClaimedWorkspace, PollStore } from "./poller.ts";

export function databasePollStore(sql: Sql): PollStore {
  return {
    async claim(pollRunId, leaseSeconds) {
      const [row] = await sql<ClaimedWorkspace[]>`
        select workspace_id::int, bison_workspace_id::int, base_url, api_key, sync_run_id::int
        from private.claim_workspace_for_polling(${pollRunId}, ${leaseSeconds})`;
      return row ?? null;
    },
    async applySnapshot(syncRunId, mailboxes) {
      const [row] = await sql`
        select upserted, removed
        from private.apply_sender_email_snapshot(${syncRunId}, ${sql.json(mailboxes as never)})`;
      return { upserted: row.upserted, removed: row.removed };
    },
    async finish(syncRunId, figures) {
      await sql`
        select private.finish_workspace_poll(${syncRunId}, ${figures.pages},
          ${figures.mailboxesSeen}, ${figures.upserted}, ${figures.removed}, ${figures.complete},
          ${figures.error})`;
    },
    async broadcast(workspaceId, event, payload) {
      // realtime.send swallows its own failures; a dashboard's progress bar is never worth
      // failing a sync over, so ours are swallowed too.
      await sql`
        select realtime.send(${sql.json({ workspace_id: workspaceId, ...payload } as never)},
                             ${event}, ${`workspace:${workspaceId}:sync`}, true)`
        .catch(() => {});
    },
  };
}
