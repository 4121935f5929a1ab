// Read model benchmark: every view of the read model (and the tables and function the dashboard
// reads) as the people who read them, on an agency at full size: 35 workspaces, 17,136 mailboxes
// with 30 days of snapshots, 30 days of webhook traffic, daily and campaign metrics, 200,000
// replies. Each read runs as a signed-in user, with row level security deciding, under
// EXPLAIN ANALYZE; the planning and execution times are printed per reader.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/read-model.ts [--runs 3] [--replies 200000]
//     [--only activity_feed] [--plans] [--keep]
//
// --plans prints each read's plan (EXPLAIN ANALYZE, last run); --only runs the reads whose name
// contains the text; --keep leaves the bench database running afterwards (stop it with pg_ctl).
import { parseArgs } from "node:util";
import postgres from "postgres";
import { stackConfig } from "../local/config.ts";
import { freshDatabase, stopDatabase } from "../local/database.ts";
import { assertBenchStackFree, percentile, positiveOption, runBenchmark } from "./bench-stack.ts";
import { healthBenchEventsPerHour, seedHealthAgency } from "./health.ts";

/**
 * Thirty days of daily metrics for every workspace, as onboarding's backfill leaves them (the
 * days before today; today's row comes from the events).
 */
export async function seedDailyMetrics(sql: postgres.Sql): Promise<void> {
  await sql`
    insert into public.workspace_daily_metrics
      (workspace_id, day, emails_sent, first_contacts, replies, interested, bounces, unsubscribes)
    select w.id, d::date, 400 + (w.id * 37 + extract(doy from d)::int * 11) % 300,
           150 + (w.id * 13) % 100, 6 + (w.id + extract(doy from d)::int) % 9,
           (w.id + extract(doy from d)::int) % 4, 3 + w.id % 5, w.id % 3
    from public.workspaces w,
         generate_series(current_date - 30, current_date - 1, interval '1 day') d`;
}

/**
 * What the dashboard reads besides the health benchmark's agency: daily metrics, 10 campaigns a
 * workspace with 30 days of metrics, leads and `replies` replies over 30 days (a tenth of them
 * interested), this month's targets, Bison's daily stats, provider history, a sync run, a poll
 * state, a webhook check and an insight per workspace, and the health checks' rows.
 */
async function seedReadModel(sql: postgres.Sql, replies: number): Promise<void> {
  await seedDailyMetrics(sql);
  await sql`
    insert into public.campaigns (workspace_id, bison_campaign_id, name)
    select w.id, n, 'Campaign ' || n from public.workspaces w, generate_series(1, 10) n`;
  await sql`
    insert into public.campaign_daily_metrics (campaign_id, workspace_id, day, emails_sent,
      replies, interested, bounces, unsubscribes)
    select c.id, c.workspace_id, d::date, 40 + (c.id * 7) % 30, (c.id + extract(doy from d)::int) % 3,
           (c.id + extract(doy from d)::int) % 5 / 4, c.id % 2, 0
    from public.campaigns c, generate_series(current_date - 30, current_date - 1, interval '1 day') d`;
  // Reply triggers broadcast each new reply; a backfill of this size is not live news.
  await sql`alter table public.replies disable trigger user`;
  await sql`
    insert into public.leads (workspace_id, bison_lead_id, email, first_name, last_name, status)
    select w.id, n, 'lead' || n || '@client' || w.id || '.example.test', 'Lead', 'No. ' || n,
           'replied'
    from public.workspaces w, generate_series(1, ${Math.ceil(replies / 2 / 35)}::int) n`;
  await sql`
    insert into public.replies (connection_id, workspace_id, bison_reply_id, lead_id, campaign_id,
      received_at, subject, from_email, interested, interested_at)
    select w.connection_id, w.id, n, l.id, c.id,
           now() - make_interval(secs => (hashint4(n)::bigint & 2147483647) % (30 * 86400)),
           'Re: our call', l.email, n % 10 = 0,
           case when n % 10 = 0 then now() - make_interval(secs => n % (29 * 86400)) end
    from generate_series(1, ${replies}::int) n
    join public.workspaces w on w.bison_workspace_id = n % 35 + 1
    join public.leads l on l.workspace_id = w.id and l.bison_lead_id = n / 70 + 1
    join public.campaigns c on c.workspace_id = w.id and c.bison_campaign_id = n % 10 + 1`;
  await sql`alter table public.replies enable trigger user`;
  await sql`
    insert into public.workspace_targets (workspace_id, month, metric, target)
    select w.id, date_trunc('month', now() at time zone private.workspace_timezone(w.id))::date,
           t.metric, t.target
    from public.workspaces w,
         (values ('interested', 60), ('emails_sent', 12000), ('replies', 250)) t(metric, target)`;
  await sql`
    insert into public.bison_daily_stats (workspace_id, day, emails_sent, replies, interested)
    select m.workspace_id, m.day, m.emails_sent, m.replies, m.interested
    from public.workspace_daily_metrics m`;
  await sql`
    insert into public.provider_performance_history (connection_id, day, provider, reseller,
      mailboxes_total, mailboxes_connected, mailboxes_disconnected, burnt_mailboxes,
      emails_sent_day, emails_sent_7d, emails_sent_30d, unique_replies_day, unique_replies_7d,
      unique_replies_30d, bounces_day, bounces_7d, bounces_30d, total_daily_limit)
    select c.id, d::date, p.provider, r.reseller, 400, 380, 20, 10, 9000, 63000, 270000, 135,
           945, 4050, 90, 630, 2700, 14000
    from public.bison_connections c,
         generate_series(current_date - 30, current_date - 1, interval '1 day') d,
         (values ('Google'), ('Microsoft'), (null)) p(provider),
         (values ('Zapmail'), ('CheapInboxes'), ('ScaledMail'), ('Mailr'), (null)) r(reseller)`;
  await sql`
    insert into public.sender_email_sync_runs (workspace_id, poll_run_id, started_at, finished_at,
      pages, mailboxes_seen, upserted, complete)
    select w.id, gen_random_uuid(), now() - interval '20 minutes', now() - interval '19 minutes',
           33, 490, 490, true
    from public.workspaces w`;
  await sql`
    insert into private.workspace_poll_state (workspace_id, last_complete_sync_at)
    select w.id, now() - interval '19 minutes' from public.workspaces w`;
  await sql`
    insert into private.webhook_subscriptions (workspace_id, bison_webhook_id, status, checked_at,
      verified_at)
    select w.id, w.id, 'ok', now() - interval '1 hour', now() - interval '1 hour'
    from public.workspaces w`;
  await sql`
    insert into public.insights (workspace_id, period_days, period_start, period_end, source,
      items, facts)
    select w.id, 7, current_date - 7, current_date, 'rules',
           '[{"title": "Replies are steady", "detail": "As last week."}]', '[]'
    from public.workspaces w`;
  await sql`select private.run_health_checks()`;
  await sql`analyze`;
}

/** The people reading: a member of every workspace, an agency admin, a client's own member. */
async function createReaders(sql: postgres.Sql) {
  const user = async (email: string) => {
    const [{ id }] = await sql`
      insert into auth.users (instance_id, id, email, aud, role, raw_app_meta_data,
        raw_user_meta_data, created_at, updated_at, confirmation_token, recovery_token,
        email_change_token_new, email_change)
      values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), ${email},
        'authenticated', 'authenticated', '{"provider":"email","providers":["email"]}', '{}',
        now(), now(), '', '', '', '')
      returning id`;
    return id as string;
  };
  const memberOfAll = await user("bench.member@example.test");
  const admin = await user("bench.admin@example.test");
  const memberOfOne = await user("bench.client@example.test");
  await sql`insert into public.workspace_members (user_id, workspace_id)
            select ${memberOfAll}, id from public.workspaces`;
  await sql`insert into public.workspace_members (user_id, workspace_id)
            select ${memberOfOne}, min(id) from public.workspaces`;
  await sql`insert into public.agency_admins (user_id) values (${admin})`;
  return [
    { name: "member of 35", id: memberOfAll },
    { name: "agency admin", id: admin },
    { name: "member of 1", id: memberOfOne },
  ];
}

/** Each read as the dashboard (or any frontend) sends it; `$1` is the first workspace's id. */
const reads: { name: string; query: string }[] = [
  {
    name: "workspaces",
    query: "select id, name, connection_id from public.workspaces order by name",
  },
  { name: "workspace_kpis", query: "select * from public.workspace_kpis" },
  {
    name: "workspace_kpis (overview periods)",
    query: "select * from public.workspace_kpis where period in ('today', 'month_to_date')",
  },
  { name: "workspace_pacing", query: "select * from public.workspace_pacing" },
  { name: "workspace_month_to_date", query: "select * from public.workspace_month_to_date" },
  { name: "workspace_mailbox_health", query: "select * from public.workspace_mailbox_health" },
  { name: "mailbox_health_by_provider", query: "select * from public.mailbox_health_by_provider" },
  { name: "pipeline_health", query: "select * from public.pipeline_health" },
  { name: "webhook_health", query: "select * from public.webhook_health" },
  { name: "campaign_metrics", query: "select * from public.campaign_metrics" },
  {
    name: "campaign_metrics (one client)",
    query:
      "select * from public.campaign_metrics where workspace_id = $1 order by emails_sent desc",
  },
  { name: "activity_feed", query: "select * from public.activity_feed" },
  {
    name: "activity_feed (one client, 50)",
    query: "select * from public.activity_feed where workspace_id = $1 " +
      "order by occurred_at desc limit 50",
  },
  {
    name: "health_alert_history (100)",
    query: "select * from public.health_alert_history order by recorded_at desc limit 100",
  },
  { name: "system_health", query: "select * from public.system_health order by check_name, scope" },
  {
    name: "provider_performance_history (30 days)",
    query: "select * from public.provider_performance_history " +
      "where day >= current_date - 30 order by day",
  },
  {
    name: "workspace_daily_series (30 days)",
    query: "select * from public.workspace_daily_series($1, 30)",
  },
  {
    name: "sender_email_sync_runs (latest)",
    query: "select * from public.sender_email_sync_runs where workspace_id = $1 " +
      "order by started_at desc limit 1",
  },
];

interface Timing {
  rows: number;
  planningMs: number;
  executionMs: number;
  plan?: string;
}

/** One read as `userId`, under EXPLAIN ANALYZE (the plan's text too when `withPlan`). */
async function explainAs(
  sql: postgres.Sql,
  userId: string,
  query: string,
  workspaceId: number,
  withPlan: boolean,
): Promise<Timing> {
  return await sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${
      JSON.stringify({ sub: userId, role: "authenticated", aud: "authenticated" })
    }, true), set_config('role', 'authenticated', true)`;
    const explained = await tx.unsafe(
      `explain (analyze, timing off, summary, format json) ${query}`,
      query.includes("$1") ? [workspaceId] : [],
    );
    const [result] = explained[0]["QUERY PLAN"];
    let plan: string | undefined;
    if (withPlan) {
      const text = await tx.unsafe(
        `explain (analyze, summary) ${query}`,
        query.includes("$1") ? [workspaceId] : [],
      );
      plan = text.map((row) => row["QUERY PLAN"]).join("\n");
    }
    return {
      rows: result.Plan["Actual Rows"],
      planningMs: result["Planning Time"],
      executionMs: result["Execution Time"],
      plan,
    };
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "3" },
      replies: { type: "string", default: "200000" },
      only: { type: "string" },
      plans: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  const runs = positiveOption("runs", values.runs!);
  const replies = positiveOption("replies", values.replies!);
  const selected = reads.filter((read) => !values.only || read.name.includes(values.only));

  const stack = stackConfig("bench");
  await assertBenchStackFree(stack);
  const url = await freshDatabase(stack);
  const sql = postgres(url, { max: 2, prepare: false, onnotice: () => {} });
  let exitCode = 0;
  try {
    await seedHealthAgency(sql, stack, healthBenchEventsPerHour);
    console.error(`• seeding the read model's data (${replies} replies)...`);
    await seedReadModel(sql, replies);
    const readers = await createReaders(sql);
    const [{ first }] = await sql`select min(id)::int as first from public.workspaces`;
    const [counts] = await sql`
      select (select count(*)::int from public.workspaces) as workspaces,
             (select count(*)::int from public.sender_emails) as mailboxes,
             (select count(*)::int from public.replies) as replies,
             (select count(*)::int from private.webhook_events) as events`;

    console.log(
      `\nRead model benchmark: ${counts.workspaces} workspaces, ${counts.mailboxes} mailboxes, ` +
        `${counts.replies} replies, ${counts.events} webhook events`,
    );
    console.log(
      "median of " + runs + " runs (EXPLAIN ANALYZE, timing off): rows, planning + " +
        "execution ms",
    );
    const header = ["read", ...readers.map((reader) => reader.name)];
    console.log(`  ${header[0].padEnd(40)} ${header.slice(1).map((h) => h.padStart(24)).join("")}`);
    for (const read of selected) {
      const cells: string[] = [];
      const plans: string[] = [];
      for (const reader of readers) {
        const timings: Timing[] = [];
        for (let run = 0; run < runs; run++) {
          const last = run === runs - 1;
          timings.push(await explainAs(sql, reader.id, read.query, first, values.plans! && last));
        }
        const median = (pick: (timing: Timing) => number) =>
          percentile(timings.map(pick).sort((a, b) => a - b), 50);
        cells.push(
          `${timings[0].rows} r ${median((t) => t.planningMs).toFixed(1)}+${
            median((t) => t.executionMs).toFixed(1)
          }`.padStart(24),
        );
        if (values.plans) plans.push(`--- ${read.name} as ${reader.name}\n${timings.at(-1)!.plan}`);
        if (timings.some((timing) => timing.rows !== timings[0].rows)) exitCode = 1;
      }
      console.log(`  ${read.name.padEnd(40)} ${cells.join("")}`);
      for (const plan of plans) console.error(plan);
    }
    if (counts.workspaces !== 35 || counts.mailboxes !== 17_136) exitCode = 1;
  } finally {
    await sql.end();
    if (!values.keep) await stopDatabase(stack);
  }
  return exitCode;
}

if (import.meta.main) await runBenchmark(main);
