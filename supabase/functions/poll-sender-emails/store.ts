// The poll store backed by the SQL functions of migration create_mailbox_polling.
import { type Sql, withKeyLock } from "../_shared/database.ts";
import { storableJson } from "../_shared/json.ts";
import type { ClaimedWorkspace, PollStore } from "./poller.ts";

export function databasePollStore(sql: Sql): PollStore {
  return {
    async claim(pollRunId, leaseSeconds) {
      const [row] = await sql<ClaimedWorkspace[]>`
        select workspace_id::int, bison_workspace_id::int, base_url, api_key, key_kind,
               sync_run_id::int,
               private.bison_requests_per_minute(connection_id) as requests_per_minute
        from private.claim_workspace_for_polling(${pollRunId}, ${leaseSeconds})`;
      return row ?? null;
    },
    async applySnapshot(syncRunId, mailboxes) {
      // Only the fields the database keeps: Bison's objects carry much more.
      const kept = mailboxes.map((m) => ({
        id: m.id,
        email: m.email,
        name: m.name,
        status: m.status,
        type: m.type,
        daily_limit: m.daily_limit,
        warmup_enabled: m.warmup_enabled,
        emails_sent_count: m.emails_sent_count,
        total_replied_count: m.total_replied_count,
        total_opened_count: m.total_opened_count,
        unsubscribed_count: m.unsubscribed_count,
        bounced_count: m.bounced_count,
        unique_replied_count: m.unique_replied_count,
        unique_opened_count: m.unique_opened_count,
        total_leads_contacted_count: m.total_leads_contacted_count,
        interested_leads_count: m.interested_leads_count,
        tags: (m.tags ?? []).map((tag) => ({ id: tag.id, name: tag.name })),
        updated_at: m.updated_at,
      }));
      const [row] = await sql`
        select upserted, removed
        from private.apply_sender_email_snapshot(${syncRunId},
          ${storableJson(JSON.stringify(kept))}::text::jsonb)`;
      // The function records the hold on the run; a statement of its own sees it.
      const [run] = await sql`
        select held from public.sender_email_sync_runs where id = ${syncRunId}`;
      return { upserted: row.upserted, removed: row.removed, held: run.held };
    },
    async finish(syncRunId, figures) {
      await sql`
        select private.finish_workspace_poll(${syncRunId}, ${figures.pages},
          ${figures.mailboxesSeen}, ${figures.upserted}, ${figures.removed}, ${figures.complete},
          ${figures.error})`;
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
