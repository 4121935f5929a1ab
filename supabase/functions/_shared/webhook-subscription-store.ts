// The webhook subscription checks' records, backed by the SQL of migration
// create_webhook_subscription_checks; shared by the check function and the admin CLI.
import { type Sql, withKeyLock } from "./database.ts";
import type { SubscriptionStore, SubscriptionTarget } from "./webhook-subscriptions.ts";

export interface DatabaseSubscriptionStore extends SubscriptionStore {
  /** Workspaces to check: all of connected connections, or one connection's, or one. */
  targets(connectionId?: string | null, workspaceId?: number | null): Promise<SubscriptionTarget[]>;
  /** Queues one Slack message for the repairs not announced yet; returns how many. */
  announceRepairs(): Promise<number>;
}

export function databaseSubscriptionStore(sql: Sql): DatabaseSubscriptionStore {
  return {
    async targets(connectionId = null, workspaceId = null) {
      return await sql<SubscriptionTarget[]>`
        select workspace_id::int, bison_workspace_id::int, workspace_name, connection_id,
               connection_name, base_url, allow_private_address, api_key, key_kind, webhook_url,
               last_status
        from private.webhook_subscription_targets(${connectionId}, ${workspaceId})`;
    },
    async record(check) {
      await sql`
        select private.record_webhook_subscription_check(${check.workspace_id}, ${check.outcome},
          ${check.bison_webhook_id}, ${check.detail})`;
    },
    async announceRepairs() {
      const [row] = await sql`select private.announce_webhook_repairs() as announced`;
      return row.announced;
    },
    withKeyLock: (apiKey, work) => withKeyLock(sql, apiKey, work),
  };
}
