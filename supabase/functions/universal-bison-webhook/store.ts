// The webhook store backed by the database functions of migration create_webhook_ingest: one
// round trip per delivery, answered or cancelled within the deadline Bison's 15 s leave us.
import { type Sql, withDeadline } from "../_shared/database.ts";
import type { Outcome, RejectionReason, WebhookStore } from "./handler.ts";

export function databaseWebhookStore(sql: Sql): WebhookStore {
  return {
    async ingest(tokenSha256, json, received) {
      // Handed over as text and cast inside the function: a body the database cannot store as
      // jsonb is quarantined there, and its content never reaches an error or the server log.
      const [row] = await withDeadline(sql`
        select private.ingest_webhook_body(${tokenSha256}, ${json}::text,
          ${received ?? null}::text) as result`);
      return row.result as { outcome: Outcome; event_id?: number; quarantine_id?: number };
    },
    async recordRejection(tokenSha256: string, reason: RejectionReason) {
      const [row] = await withDeadline(sql`
        select private.record_webhook_rejection(${tokenSha256}, ${reason}) as known`);
      return row.known as boolean;
    },
    async recordTestDelivery(tokenSha256, nonce) {
      const [row] = await sql`
        select private.record_webhook_test_delivery(${tokenSha256}, ${nonce}) as expected`;
      return row.expected as boolean;
    },
  };
}
