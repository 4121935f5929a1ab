// Health benchmark: an agency at full size (35 workspaces, 17,136 mailboxes, 30 days of mailbox
// snapshots and of webhook traffic, every project cron job with a day of run history) on a
// throwaway database, then one full health evaluation (private.run_health_checks: every check,
// stored, history and alerts written) and one day's provider snapshot and calculation, each timed.
// Target: each under 1 s.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/health.ts [--events-per-hour 28]
import { parseArgs } from "node:util";
import postgres from "postgres";
import { platformDbUrl, type StackConfig, stackConfig } from "../local/config.ts";
import { freshDatabase, stopDatabase } from "../local/database.ts";
import { addDay, assertBenchStackFree } from "./bench-stack.ts";
import {
  bisonReportsEndOf,
  calculateDay,
  firstDay,
  seedAgency,
  targetMs,
} from "./provider-performance.ts";

/**
 * The health benchmark's data: the provider benchmark's agency (35 workspaces, 17,136 mailboxes,
 * 30 days of snapshots; times `scale`), `historyDays` (30) days of webhook traffic at
 * `eventsPerHour` per workspace, written straight into the daily partitions of webhook_events,
 * and a day of run history for every cron job (written through the platform's connection to
 * `stack`). Returns the number of webhook events written. `firstDay` is the provider benchmark's
 * first computed day (its default when not given).
 */
export async function seedHealthAgency(
  sql: postgres.Sql,
  stack: StackConfig,
  eventsPerHour: number,
  firstDay?: string,
  { scale = 1, historyDays = 30 }: { scale?: number; historyDays?: number } = {},
): Promise<number> {
  console.error(
    `• seeding ${35 * scale} workspaces, ${17_136 * scale} mailboxes and 30 days of snapshots...`,
  );
  await seedAgency(sql, 1, firstDay, scale);
  const events = await seedWebhookHistory(sql, eventsPerHour, historyDays);
  // A day of history for every cron job, answered 200 by its function: written as pg_cron writes
  // it, by the platform (postgres may not draw run ids from pg_cron's sequence).
  const platform = postgres(platformDbUrl(stack), { max: 1, onnotice: () => {} });
  await platform`
    insert into cron.job_run_details (jobid, job_pid, database, username, command, status,
                                      return_message, start_time, end_time)
    select j.jobid, 1, 'postgres', 'postgres', j.command, 'succeeded',
           'SELECT 1', t, t
    from cron.job j, generate_series(now() - interval '1 day', now(), interval '5 minutes') t`
    .finally(() => platform.end());
  await sql`analyze`;
  return events;
}

/**
 * `days` days of webhook traffic up to now for every workspace, `eventsPerHour` an hour each, in
 * one set-based insert per day (into that day's partition, created first). Returns the events.
 */
export async function seedWebhookHistory(
  sql: postgres.Sql,
  eventsPerHour: number,
  days: number,
  /** The most recent days already seeded: only the older ones are written. */
  { after = 0 }: { after?: number } = {},
): Promise<number> {
  console.error(
    `• seeding ${days - after} days of webhook traffic (${eventsPerHour} events/hour/workspace)...`,
  );
  await sql`
    select private.create_webhook_event_partition(d::date)
    from generate_series(((now() - make_interval(days => ${days})) at time zone 'UTC')::date,
                         (now() at time zone 'UTC')::date, interval '1 day') d`;
  let events = 0;
  for (let day = days; day > after; day--) {
    const [{ written }] = await sql`
      with written as (
        insert into private.webhook_events (connection_id, workspace_id, event_type,
          idempotency_key, payload, received_at, occurred_at, status)
        select w.connection_id, w.id, 'email_sent', w.id || ':' || h || ':' || n, '{}'::jsonb,
               now() - make_interval(hours => h) + make_interval(secs => n * 3600.0 / ${eventsPerHour}),
               now() - make_interval(hours => h), 'processed'
        from public.workspaces w,
             generate_series(greatest(1, ${day}::int * 24 - 23), ${day}::int * 24) h,
             generate_series(0, ${eventsPerHour - 1}::int) n
        where h between 1 and ${days}::int * 24
        returning 1
      )
      select count(*)::int as written from written`;
    events += written;
  }
  return events;
}

/** Webhook events per hour and workspace in the health benchmark's 30 days of traffic. */
export const healthBenchEventsPerHour = 28;

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { "events-per-hour": { type: "string", default: String(healthBenchEventsPerHour) } },
  });
  const eventsPerHour = Number(values["events-per-hour"]);

  const stack = stackConfig("bench");
  await assertBenchStackFree(stack).catch((error) => {
    console.error(`✗ ${error.message}`);
    Deno.exit(1);
  });
  const url = await freshDatabase(stack);
  let exitCode = 0;
  const sql = postgres(url, { max: 2, prepare: false, onnotice: () => {} });
  try {
    const events = await seedHealthAgency(sql, stack, eventsPerHour);

    const started = performance.now();
    const [{ summary }] = await sql`select private.run_health_checks() as summary`;
    const healthMs = performance.now() - started;

    await bisonReportsEndOf(sql, firstDay);
    const provider = await calculateDay(
      sql,
      firstDay,
      `${await addDay(sql, firstDay)} 00:05`,
    );

    const [counts] = await sql`
    select (select count(*)::int from public.sender_emails) as mailboxes,
           (select count(*)::int from public.workspaces) as workspaces,
           (select count(*)::int from public.sender_email_daily_snapshots) as snapshots`;
    console.log("\nHealth benchmark");
    const rows = [
      ["workspaces / mailboxes", `${counts.workspaces} / ${counts.mailboxes}`],
      ["webhook events (30 days)", String(events)],
      ["mailbox snapshots", String(counts.snapshots)],
      [
        "full health evaluation",
        `${healthMs.toFixed(0)} ms (${summary.checks} checks, ${summary.unhealthy} unhealthy)`,
      ],
      ["provider snapshot + calculation", `${provider.ms.toFixed(0)} ms (${provider.rows} rows)`],
    ];
    for (const [name, value] of rows) console.log(`  ${name.padEnd(34)} ${value}`);
    const met = healthMs < targetMs && provider.ms < targetMs;
    console.log(`  ${"target (each under 1 s)".padEnd(34)} ${met ? "met" : "NOT met"}`);
    if (counts.mailboxes !== 17_136 || provider.rows === 0 || summary.checks < 35) exitCode = 1;
  } finally {
    await sql.end();
    await stopDatabase(stack);
  }
  return exitCode;
}

if (import.meta.main) Deno.exit(await main());
