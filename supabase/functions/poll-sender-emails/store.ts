// The poll store backed by the SQL functions of migrations create_mailbox_polling and
// poll_in_checkpointed_slices.
import { type Sql, withKeyLock } from "../_shared/database.ts";
import { storableJson } from "../_shared/json.ts";
import type { SenderEmail } from "../_shared/bison-client.ts";
import type { BreakerState, ClaimedConnection, ClaimedWorkspace, PollStore } from "./poller.ts";

const asJson = (mailboxes: SenderEmail[]) => storableJson(JSON.stringify(mailboxes));

export function databasePollStore(sql: Sql): PollStore {
  return {
    async claimConnection(sliceId, leaseSeconds) {
      const [row] = await sql<ClaimedConnection[]>`
        select connection_id::text, base_url, breaker_failures, breaker_threshold, half_open
        from private.claim_connection_for_polling(${sliceId}, ${leaseSeconds})`;
      return row ?? null;
    },
    async claim(sliceId, connectionId, leaseSeconds) {
      const [row] = await sql<ClaimedWorkspace[]>`
        select workspace_id::int, bison_workspace_id::int, connection_id::text, base_url, api_key,
               key_kind, sync_run_id::int, resume_url, resume_pages, resume_fetched
        from private.claim_workspace_for_polling(${sliceId}, ${leaseSeconds},
                                                 ${connectionId}::uuid)`;
      return row ?? null;
    },
    async applySnapshot(syncRunId, mailboxes) {
      const [row] = await sql`
        select upserted, removed, held
        from private.apply_staged_sender_email_snapshot(${syncRunId},
          ${asJson(mailboxes)}::text::jsonb)`;
      return { upserted: row.upserted, removed: row.removed, held: row.held };
    },
    async checkpoint(syncRunId, mailboxes, next, pages, fetched) {
      await sql`
        select private.checkpoint_workspace_poll(${syncRunId}, ${asJson(mailboxes)}::text::jsonb,
          ${next}, ${pages}, ${fetched})`;
    },
    async finish(syncRunId, figures) {
      await sql`
        select private.finish_workspace_poll(${syncRunId}, ${figures.pages},
          ${figures.mailboxesSeen}, ${figures.upserted}, ${figures.removed}, ${figures.complete},
          ${figures.error})`;
    },
    async releaseConnection(sliceId, connectionId, outcome) {
      const [row] = await sql<{ breaker: BreakerState }[]>`
        select private.release_connection_for_polling(${sliceId}, ${connectionId}::uuid,
          ${outcome.answered}, ${outcome.unansweredInARow}, ${outcome.lastFailure}) as breaker`;
      return row.breaker;
    },
    async workRemaining() {
      const [row] = await sql`select private.poll_work_remaining() as remaining`;
      return row.remaining;
    },
    async queueNextSlice() {
      await sql`select private.queue_poll_slice()`;
    },
    withKeyLock: (apiKey, work) => withKeyLock(sql, apiKey, work),
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
