// Provider performance benchmark: the throwaway bench stack (.local/bench/, database 54342, shared
// with the other benchmarks: run one at a time), an agency at full size (35 workspaces over 2 connections,
// 17,136 mailboxes, 30 days of daily snapshot history), then a day's provider snapshot and
// calculation timed exactly as the hourly job runs it just after local midnight:
// private.calculate_provider_performance once per connection. That is repeated for the next days
// (--days, each with its own sends), a recompute of the last day from stored snapshots is timed
// --repeat times, and every day's written rows are checked against the sends generated for it.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/provider-performance.ts
//     [--days 3] [--repeat 3] [--keep]
//
// --keep leaves the bench database running afterwards, for EXPLAIN and friends (stop it with
// pg_ctl, or run the benchmark again without --keep). Human progress goes to stderr, the report to stdout. Exit 1 when the figures are wrong; the
// time target (under 1 s) is reported, never enforced.
import { parseArgs } from "node:util";
import postgres from "postgres";
import { dbUrl, stackConfig } from "../local/config.ts";
import { freshDatabase, stopDatabase } from "../local/database.ts";
import { addDay, assertBenchStackFree, positiveOption, runBenchmark } from "./bench-stack.ts";

export const targetMs = 1000;
/** The agency at scale 1: 35 workspaces over two connections, 17,136 mailboxes. */
export const agency = { workspaces: 35, mailboxes: 17_136 };
const historyDays = 30;
/** The first local day computed; its snapshot is taken just after it ends, at 00:05 local time. */
export const firstDay = "2026-11-21";
/** The connections at a scale: 20 and 15 workspaces each, times the scale. */
const connectionsAt = (scale: number) => [
  { name: "agency-chicago", timezone: "America/Chicago", workspaces: 20 * scale },
  { name: "agency-new-york", timezone: "America/New_York", workspaces: 15 * scale },
];

/**
 * The agency, generated in SQL with deterministic hashes: connections, workspaces, mailboxes
 * (Google/Microsoft/unknown, four resellers, mostly connected, a few disconnected or removed),
 * each mailbox's sends, replies and bounces for every day from 30 days before `first` (default
 * `firstDay`) to the last computed day (temp table bench_cumulative, with lifetime totals), and a
 * daily snapshot with running totals for each of the 30 days before `first`. `scale` multiplies
 * the workspaces and mailboxes (35 and 17,136 at 1). Returns the number of snapshots.
 */
export async function seedAgency(
  sql: postgres.Sql,
  days: number,
  first = firstDay,
  scale = 1,
): Promise<number> {
  const connections = connectionsAt(scale);
  const workspaces = agency.workspaces * scale;
  const mailboxes = agency.mailboxes * scale;
  for (const connection of connections) {
    await sql`
      insert into public.bison_connections (name, base_url, timezone)
      values (${connection.name}, 'https://bench.example.test', ${connection.timezone})`;
  }
  // Workspaces 1..35 spread over the connections in order.
  await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    select c.id, n, 'Client ' || n
    from generate_series(1, ${workspaces}::int) n
    join public.bison_connections c
      on c.name = case when n <= ${connections[0].workspaces}::int
                       then ${connections[0].name} else ${connections[1].name} end`;
  // Mailbox i belongs to workspace ((i - 1) % 35) + 1.
  await sql`
    insert into public.sender_emails (connection_id, bison_sender_email_id, workspace_id, email,
      status, connection_type, daily_limit, provider, reseller, emails_sent, unique_replies,
      bounced, removed_at)
    select w.connection_id, i, w.id, 'box' || i || '@bench.example.test',
      case when h % 100 < 94 then 'connected' when h % 100 < 98 then 'disconnected'
           when h % 100 < 99 then 'not connected' else 'removed' end,
      case when h % 20 < 11 then 'google_workspace_oauth' when h % 20 < 19 then 'microsoft_oauth'
           else 'Inbox' end,
      20 + h % 31,
      case when h % 20 < 11 then 'Google' when h % 20 < 19 then 'Microsoft' end,
      (array['Zapmail', 'CheapInboxes', 'ScaledMail', 'Mailr', null])[1 + (h / 20) % 5],
      0, 0, 0,
      case when h % 100 = 99 then ${first}::date - 40 end
    from generate_series(1, ${mailboxes}::int) i
    cross join lateral (select hashint4(i)::bigint & 2147483647 as h) hash
    join public.workspaces w on w.bison_workspace_id = ((i - 1) % ${workspaces}::int) + 1`;

  // Sends per mailbox and day, a hash of (mailbox, day) up to its daily limit; about 1.5% of
  // sends get a unique reply (much less from 1 mailbox in 8, which end up burnt), 1% bounce.
  await sql`
    create temp table bench_daily as
    select m.id as sender_email_id, m.connection_id, m.workspace_id, m.status, m.daily_limit,
           m.provider, m.reseller, d::date as day,
           hash.h % (m.daily_limit + 1) as sent,
           case when (hash.h / 64) % 1000 < (hash.h % (m.daily_limit + 1))
                       * case when m.id % 8 = 0 then 2 else 15 end
                then 1 else 0 end as replies,
           case when (hash.h / 65536) % 1000 < (hash.h % (m.daily_limit + 1)) * 10
                then 1 else 0 end as bounces,
           m.id * 7 % 3000 as base_sent
    from public.sender_emails m
    cross join generate_series(${first}::date - ${historyDays}::int,
                               ${first}::date + ${days - 1}::int, interval '1 day') d
    cross join lateral (
      select hashint4(m.id::int * 37 + (d::date - ${first}::date))::bigint & 2147483647 as h
    ) hash
    where m.removed_at is null`;
  await sql`
    create temp table bench_cumulative as
    select b.*,
           sum(b.sent) over w as sent_cum,
           sum(b.replies) over w as replies_cum,
           sum(b.bounces) over w as bounced_cum,
           first_value(b.sent) over w as first_sent,
           first_value(b.replies) over w as first_replies,
           first_value(b.bounces) over w as first_bounced
    from bench_daily b
    window w as (partition by b.sender_email_id order by b.day)`;
  await sql`create index on bench_cumulative (day)`;
  const [{ snapshots }] = await sql`
    with written as (
      insert into public.sender_email_daily_snapshots (sender_email_id, day, connection_id,
        workspace_id, status, daily_limit, provider, reseller, emails_sent, unique_replies, bounced,
        emails_sent_running, unique_replies_running, bounced_running, taken_at)
      select c.sender_email_id, c.day, c.connection_id, c.workspace_id, c.status, c.daily_limit,
             c.provider, c.reseller, c.base_sent + c.sent_cum, c.base_sent / 100 + c.replies_cum,
             c.bounced_cum, c.sent_cum - c.first_sent, c.replies_cum - c.first_replies,
             c.bounced_cum - c.first_bounced, c.day + interval '1 day 5 minutes'
      from bench_cumulative c
      where c.day < ${first}::date
      -- Day by day, as the daily job writes them (each day's rows together on disk).
      order by c.day, c.sender_email_id
      returning 1
    )
    select count(*)::int as snapshots from written`;
  await sql`analyze`;
  return snapshots;
}

/** What Bison reports once `day` is over: lifetime counters including the day's sends. */
export async function bisonReportsEndOf(sql: postgres.Sql, day: string): Promise<number> {
  await sql`
    update public.sender_emails m
    set emails_sent = c.base_sent + c.sent_cum,
        unique_replies = c.base_sent / 100 + c.replies_cum,
        bounced = c.bounced_cum
    from bench_cumulative c
    where c.sender_email_id = m.id and c.day = ${day}::date`;
  const [{ sent }] = await sql`
    select coalesce(sum(sent), 0)::int as sent from bench_cumulative where day = ${day}::date`;
  return sent;
}

export interface Timed {
  ms: number;
  rows: number;
  /** The time of each connection's call, in name order. */
  perConnectionMs: number[];
}

/** One day for every connection, as the hourly job does it: one call per connection. */
export async function calculateDay(
  sql: postgres.Sql,
  day: string,
  asOfLocal: string,
): Promise<Timed> {
  const ids = await sql<{ id: string; timezone: string }[]>`
    select id::text, timezone from public.bison_connections order by name`;
  const started = performance.now();
  let rows = 0;
  const perConnectionMs: number[] = [];
  for (const { id, timezone } of ids) {
    const callStarted = performance.now();
    const [row] = await sql<{ rows: number }[]>`
      select private.calculate_provider_performance(${id}::uuid, ${day}::date,
        ${asOfLocal}::timestamp at time zone ${timezone}) as rows`;
    perConnectionMs.push(performance.now() - callStarted);
    rows += row.rows;
  }
  return { ms: performance.now() - started, rows, perConnectionMs };
}

async function dayFigures(sql: postgres.Sql, day: string) {
  const [figures] = await sql`
    select
      (select count(*)::int from public.sender_email_daily_snapshots where day = ${day}::date)
        as snapshots,
      count(*)::int as rows,
      coalesce(sum(emails_sent_day), 0)::int as sent_day,
      coalesce(sum(mailboxes_total), 0)::int as mailboxes,
      coalesce(sum(burnt_mailboxes), 0)::int as burnt
    from public.provider_performance_history where day = ${day}::date`;
  return figures;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number) => `${value.toFixed(0)} ms`;

function parseOptions() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      days: { type: "string", default: "3" },
      repeat: { type: "string", default: "3" },
      keep: { type: "boolean", default: false },
    },
  });
  const repeat = positiveOption("repeat", values.repeat);
  const days = positiveOption("days", values.days);
  return { days, repeat, keep: values.keep };
}

async function main(): Promise<number> {
  const options = parseOptions();
  const stack = stackConfig("bench");
  await assertBenchStackFree(stack); // before the try: its finally stops the bench database
  const step = (message: string) => console.error(`• ${message}`);
  let sql: postgres.Sql | undefined;
  try {
    step(`fresh bench stack: database ${stack.dbPort}, ${stack.dir}`);
    await freshDatabase(stack);
    sql = postgres(dbUrl(stack), {
      max: 1,
      prepare: false,
      onnotice: () => {},
      connection: { application_name: "bench-provider-performance" },
    });

    step(
      `generating ${agency.workspaces} workspaces, ${agency.mailboxes} mailboxes and ` +
        `${historyDays} days of ` +
        "snapshots",
    );
    const historySnapshots = await seedAgency(sql, options.days);

    const problems: string[] = [];
    const daily: { day: string; ms: number; rows: number; snapshots: number }[] = [];
    let lastDay = firstDay;
    for (let i = 0; i < options.days; i++) {
      const day = await addDay(sql, firstDay, i);
      lastDay = day;
      const sent = await bisonReportsEndOf(sql, day);
      step(`snapshot + calculation of ${day} (the 00:05 local run)`);
      const timed = await calculateDay(sql, day, `${await addDay(sql, day)} 00:05`);
      const figures = await dayFigures(sql, day);
      daily.push({ day, ms: timed.ms, rows: timed.rows, snapshots: figures.snapshots });
      if (figures.sent_day !== sent) {
        problems.push(`${day}: emails_sent_day sums to ${figures.sent_day}, ${sent} were sent`);
      }
      if (figures.rows !== timed.rows) {
        problems.push(`${day}: ${timed.rows} rows written, ${figures.rows} stored`);
      }
    }

    step(`recomputing ${lastDay} from stored snapshots, ${options.repeat}x`);
    const recomputes: number[] = [];
    for (let i = 0; i < options.repeat; i++) {
      const timed = await calculateDay(sql, lastDay, `${await addDay(sql, lastDay, 3)} 12:00`);
      recomputes.push(timed.ms);
      if (timed.rows !== daily[daily.length - 1].rows) {
        problems.push(`recompute ${i + 1} wrote ${timed.rows} rows`);
      }
    }
    const figures = await dayFigures(sql, lastDay);
    const providers = await sql`
      select coalesce(provider, 'unknown') as provider, sum(mailboxes_total)::int as mailboxes,
             sum(emails_sent_day)::int as sent, sum(emails_sent_30d)::int as sent_30d,
             private.percent_of(sum(unique_replies_30d), sum(emails_sent_30d)) as reply_pct_30d,
             sum(burnt_mailboxes)::int as burnt
      from public.provider_performance_history where day = ${lastDay}::date
      group by 1 order by 1`;

    const times = daily.map((entry) => entry.ms);
    console.log("");
    console.log(
      `Provider performance benchmark: 2 connections, ${agency.workspaces} ` +
        `workspaces, ${agency.mailboxes} mailboxes, ${historySnapshots} history snapshots ` +
        `(${historyDays} days before ${firstDay})`,
    );
    for (const entry of daily) {
      console.log(
        `snapshot + calculation of ${entry.day}: ${ms(entry.ms).padStart(7)} ` +
          `(${entry.snapshots} snapshots taken, ${entry.rows} rows written)`,
      );
    }
    console.log(
      `recompute of ${lastDay} from stored snapshots: median ${ms(median(recomputes))} ` +
        `(${recomputes.map(ms).join(", ")})`,
    );
    console.log(
      `${lastDay}: ${figures.mailboxes} mailboxes, ${figures.sent_day} emails sent, ` +
        `${figures.burnt} burnt`,
    );
    for (const row of providers) {
      console.log(
        `  ${String(row.provider).padEnd(10)} ${String(row.mailboxes).padStart(6)} mailboxes ` +
          `${String(row.sent).padStart(8)} sent  ${String(row.sent_30d).padStart(9)} sent/30d ` +
          `${String(row.reply_pct_30d).padStart(6)}% replies/30d  ${row.burnt} burnt`,
      );
    }
    const worst = Math.max(...times);
    console.log(
      `target (snapshot + calculation under ${targetMs} ms): ` +
        `${worst < targetMs ? "MET" : "MISSED"} (median ${ms(median(times))}, worst ${ms(worst)})`,
    );
    if (problems.length) {
      console.log(`\nFAILED:\n  ${problems.join("\n  ")}`);
      return 1;
    }
    return 0;
  } finally {
    await sql?.end({ timeout: 5 }).catch(() => {});
    if (options.keep) {
      console.error(`• --keep: the database is still running at ${dbUrl(stack)}`);
    } else {
      await stopDatabase(stack).catch((error) => console.error(`stopping PostgreSQL: ${error}`));
    }
  }
}

if (import.meta.main) await runBenchmark(main);
