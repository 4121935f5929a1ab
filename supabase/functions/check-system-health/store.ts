// The health store backed by the SQL of migrations create_health_checks and
// schedule_health_and_failover.
import { type Sql, withKeyLock } from "../_shared/database.ts";
import { storableJson } from "../_shared/json.ts";
import type {
  BisonDayCounts,
  KeyLock,
  WorkspaceKey,
  WorkspaceStats,
} from "../_shared/bison-client.ts";

export interface WorkspaceAccess extends WorkspaceKey {
  workspace_id: number;
  connection_id: string;
  base_url: string;
  timezone: string;
  /** Today in the workspace's reporting zone (private.local_day), YYYY-MM-DD. */
  today: string;
  /** The last local day that is over (the day before today), YYYY-MM-DD. */
  last_complete_day: string;
}

export interface PendingAlert {
  id: number;
  message: Record<string, unknown>;
}

export interface InterestedReconciliation {
  marked: number;
  unmarked: number;
  /** Un-marking was not trusted: it would have un-marked too many at once. */
  held: boolean;
}

export interface HealthStore {
  runChecks(): Promise<Record<string, unknown>>;
  /** Records that this function ran the checks and tried to deliver the alerts. */
  recordFunctionRun(): Promise<void>;
  /** The dead man's switch: a URL (Vault health_heartbeat_url) pinged after each good run. */
  heartbeatUrl(): Promise<string | null>;
  /** Takes unsent alerts for this sender (a lease, so concurrent runs never send one twice). */
  claimAlerts(): Promise<PendingAlert[]>;
  alertSent(id: number): Promise<void>;
  alertFailed(id: number, error: string): Promise<void>;
  /** Gives claimed alerts back unsent (no time was left to post them): the next run sends them. */
  releaseAlerts(ids: number[]): Promise<void>;
  slackWebhookUrl(): Promise<string | null>;
  workspaceAccess(workspaceId: number | null): Promise<WorkspaceAccess[]>;
  /** Holds the lock every run shares on a super-admin key while it is switched and used. */
  withKeyLock: KeyLock;
  /** Where a catch-up's replay of interested replies starts: a day before the last one stored. */
  interestedReplayHorizon(workspaceId: number): Promise<Date | null>;
  ingestEvent(connectionId: string, payload: Record<string, unknown>): Promise<string>;
  saveStats(workspaceId: number, day: string, stats: WorkspaceStats): Promise<void>;
  /** Where the interested reconciliation of a workspace starts (its window's first local day). */
  interestedWindowStart(workspaceId: number): Promise<Date>;
  /** Makes stored interest agree with Bison's interested reply ids received since since. */
  reconcileInterested(
    workspaceId: number,
    since: Date,
    interestedReplyIds: number[],
  ): Promise<InterestedReconciliation>;
  requestPoll(workspaceId: number): Promise<void>;
  /** The day a backfill ended when it is over and not settled yet (YYYY-MM-DD), else null. */
  backfillBoundaryToSettle(workspaceId: number): Promise<string | null>;
  /** Replaces that day's numbers with Bison's for the whole day; false when nothing to settle. */
  settleBackfillBoundary(workspaceId: number, counts: BisonDayCounts): Promise<boolean>;
  finishCatchup(
    catchupId: number,
    figures: { repliesSeen: number; repliesIngested: number; error: string | null },
  ): Promise<void>;
}

export function databaseHealthStore(sql: Sql): HealthStore {
  return {
    async runChecks() {
      const [row] = await sql`select private.run_health_checks() as summary`;
      return row.summary;
    },
    async recordFunctionRun() {
      await sql`select private.record_health_function_run()`;
    },
    async heartbeatUrl() {
      const [row] = await sql`
        select decrypted_secret from vault.decrypted_secrets where name = 'health_heartbeat_url'`;
      return row?.decrypted_secret ?? null;
    },
    async claimAlerts() {
      return await sql<PendingAlert[]>`
        update private.health_alerts a
        set claimed_until = now() + interval '2 minutes', attempts = a.attempts + 1
        where a.id in (
          select id from private.health_alerts
          where sent_at is null and (claimed_until is null or claimed_until < now())
          -- Few per lease, so that all are sent (10 s each at worst) before the lease runs out.
          order by id limit 5 for update skip locked
        )
        returning a.id::int, a.message`;
    },
    async alertSent(id) {
      await sql`update private.health_alerts set sent_at = now(), last_error = null
                where id = ${id}`;
    },
    async alertFailed(id, error) {
      await sql`update private.health_alerts set claimed_until = null, last_error = ${error}
                where id = ${id}`;
    },
    async releaseAlerts(ids) {
      await sql`update private.health_alerts set claimed_until = null
                where id = any(${ids}::bigint[]) and sent_at is null`;
    },
    async slackWebhookUrl() {
      const [row] = await sql`
        select decrypted_secret from vault.decrypted_secrets where name = 'slack_webhook_url'`;
      return row?.decrypted_secret ?? null;
    },
    async workspaceAccess(workspaceId) {
      return await sql<WorkspaceAccess[]>`
        select a.workspace_id::int, a.bison_workspace_id::int, a.connection_id, a.base_url,
               a.api_key, a.key_kind, a.timezone, p.today::text as today,
               p.start::text as last_complete_day
        from private.workspace_api_access(${workspaceId}) a
        cross join lateral private.reporting_period(a.workspace_id, 1,
          private.local_day(a.workspace_id, now())) p`;
    },
    withKeyLock: (apiKey, work) => withKeyLock(sql, apiKey, work),
    async interestedReplayHorizon(workspaceId) {
      const [row] = await sql`
        select max(received_at) - interval '1 day' as at from public.replies
        where workspace_id = ${workspaceId} and interested`;
      return row.at ?? null;
    },
    async ingestEvent(connectionId, payload) {
      const [row] = await sql`
        select private.ingest_event(${connectionId},
          ${storableJson(JSON.stringify(payload))}::text::jsonb) ->> 'outcome'
          as outcome`;
      return row.outcome;
    },
    async saveStats(workspaceId, day, stats) {
      await sql`
        insert into public.bison_daily_stats as s
          (workspace_id, day, emails_sent, replies, interested, bounces, unsubscribes)
        values (${workspaceId}, ${day}, ${stats.emails_sent}, ${stats.unique_replies_per_contact},
                ${stats.interested}, ${stats.bounced}, ${stats.unsubscribed})
        on conflict (workspace_id, day) do update set
          emails_sent = excluded.emails_sent, replies = excluded.replies,
          interested = excluded.interested, bounces = excluded.bounces,
          unsubscribes = excluded.unsubscribes, fetched_at = now()`;
    },
    async interestedWindowStart(workspaceId) {
      const [row] = await sql`
        select p.start::timestamp at time zone p.timezone as since
        from private.reporting_period(${workspaceId},
          private.setting_numeric('interested_reconciliation_days')::integer) p`;
      return row.since;
    },
    async reconcileInterested(workspaceId, since, interestedReplyIds) {
      const [row] = await sql<InterestedReconciliation[]>`
        select marked, unmarked, held
        from private.reconcile_interested_replies(${workspaceId}, ${since}::timestamptz,
          ${interestedReplyIds}::bigint[])`;
      return row;
    },
    async requestPoll(workspaceId) {
      await sql.begin(async (tx) => {
        await tx`
          insert into private.workspace_poll_state (workspace_id, next_poll_at)
          values (${workspaceId}, now())
          on conflict (workspace_id) do update set next_poll_at = now()`;
        await tx`select private.queue_poll_slice()`;
      });
    },
    async backfillBoundaryToSettle(workspaceId) {
      const [row] = await sql`
        select private.backfill_boundary_to_settle(${workspaceId})::text as day`;
      return row.day;
    },
    async settleBackfillBoundary(workspaceId, counts) {
      const [row] = await sql`
        select private.settle_backfill_boundary(${workspaceId},
          ${JSON.stringify(counts)}::text::jsonb) as settled`;
      return row.settled;
    },
    async finishCatchup(catchupId, figures) {
      await sql`
        update private.workspace_catchups
        set finished_at = now(), replies_seen = ${figures.repliesSeen},
            replies_ingested = ${figures.repliesIngested}, error = ${figures.error}
        where id = ${catchupId}`;
    },
  };
}
