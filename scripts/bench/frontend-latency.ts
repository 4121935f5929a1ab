// What a dashboard waits: from the moment a webhook is POSTed to the moment a frontend's
// supabase-js callback sees it counted, through the whole pipeline (gateway, webhook function,
// pooler, ingest and roll-up, the metrics broadcast, Realtime, the client).
//
//   node_modules/.bin/deno run --allow-all scripts/bench/frontend-latency.ts [--events 1000]
//     [--rate 50] [--clients 20] [--workspaces 5] [--broadcast-interval "1 second"]
//
// Metric broadcasts are coalesced (at most one per workspace per broadcast_interval, the latest
// state): flush-broadcasts runs throughout, as its cron job does on a deployed project, and
// --broadcast-interval sets the interval for the run (default: the migrated setting).
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { roleKey } from "../local/config.ts";
import { bisonEvent } from "../simulator/bison-events.ts";
import { connectBison } from "./webhook.ts";
import {
  flushing,
  percentile,
  positiveOption,
  runBenchmark,
  startBenchStack,
} from "./bench-stack.ts";

const targetP99Ms = 250;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000" },
      rate: { type: "string", default: "50" },
      clients: { type: "string", default: "20" },
      workspaces: { type: "string", default: "5" },
      "broadcast-interval": { type: "string" },
    },
  });
  const events = positiveOption("events", values.events);
  const rate = positiveOption("rate", values.rate);
  const clientCount = positiveOption("clients", values.clients);
  const workspaceCount = positiveOption("workspaces", values.workspaces);

  const bench = await startBenchStack({}, { clientApis: true });
  const sql = postgres(bench.databaseUrl, { max: 4, prepare: false, onnotice: () => {} });
  const clients: SupabaseClient[] = [];
  const flusher = flushing(bench);
  try {
    if (values["broadcast-interval"]) {
      await sql`update private.settings set value = to_jsonb(${values["broadcast-interval"]}::text)
                where key = 'broadcast_interval'`;
    }
    const [{ interval }] = await sql`select private.broadcast_interval()::text as interval`;
    const connection = await connectBison(bench.stack, "frontend latency bench");
    // Bison workspace 1..n are watched; workspace 0 only warms the webhook function up.
    const workspaces = await sql`
      insert into public.workspaces (connection_id, bison_workspace_id, name)
      select ${connection.connection_id}, n, 'Client ' || n from generate_series(0, ${workspaceCount}) n
      returning id::int, bison_workspace_id::int as bison`;
    const ourId = new Map(workspaces.map((w) => [w.bison as number, w.id as number]));

    // Each client is a dashboard user, created and signed in as a frontend's users are, and a
    // member of one workspace: clients are dealt to the workspaces in turn.
    const anonKey = await roleKey("anon");
    const serviceKey = await roleKey("service_role");
    const sessionless = { auth: { persistSession: false, autoRefreshToken: false } };
    const admin = createClient(bench.apiUrl, serviceKey, sessionless);
    const postedAt = new Map<number, number[]>(); // bison workspace -> POST time of its k-th event
    const latencies: number[] = [];
    const seen: number[] = [];
    let expected = 0;
    for (let c = 0; c < clientCount; c++) {
      const bison = 1 + (c % workspaceCount);
      const email = `dashboard-${c}@bench.example.test`;
      const password = `bench-password-${c}`;
      const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
      if (created.error) throw new Error(`creating ${email}: ${created.error.message}`);
      await sql`insert into public.workspace_members (user_id, workspace_id)
                values (${created.data.user!.id}, ${ourId.get(bison)!})`;
      const client = createClient(bench.apiUrl, anonKey, sessionless);
      const signedIn = await client.auth.signInWithPassword({ email, password });
      if (signedIn.error) throw new Error(`signing in ${email}: ${signedIn.error.message}`);
      await client.realtime.setAuth();
      clients.push(client);
      seen.push(0);
      // The k-th event of a workspace is seen when a payload counts k emails sent: that holds
      // however the broadcasts are batched, and whichever order concurrent events commit in.
      await new Promise<void>((resolve, reject) => {
        client.channel(`workspace:${ourId.get(bison)}:metrics`, { config: { private: true } })
          .on("broadcast", { event: "metrics_updated" }, ({ payload }) => {
            const now = performance.now();
            const posted = postedAt.get(bison) ?? [];
            for (let k = seen[c] + 1; k <= Math.min(payload.emails_sent, posted.length); k++) {
              latencies.push(now - posted[k - 1]);
              seen[c] = k;
            }
          })
          .subscribe((status, error) => {
            if (status === "SUBSCRIBED") resolve();
            else if (status !== "CLOSED") reject(new Error(`${status}: ${error?.message}`));
          });
      });
    }

    const answered: number[] = [];
    const post = (bison: number, id: number, sentAt = performance.now()) =>
      fetch(connection.webhook_url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(bisonEvent("EMAIL_SENT", { id, workspaceId: bison })),
      }).then(async (response) => {
        await response.body?.cancel();
        if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
        answered.push(performance.now() - sentAt);
      });
    for (let n = 0; n < 20; n++) await post(0, 1_000_000 + n);
    answered.length = 0;
    console.error(
      `bench: ${clientCount} clients on ${workspaceCount} workspaces; posting ${events} webhooks ` +
        `at ${rate}/s`,
    );

    const started = performance.now();
    const [{ from }] = await sql`select clock_timestamp() as from`;
    const posts: Promise<void>[] = [];
    for (let n = 0; n < events; n++) {
      const due = started + (n * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const bison = 1 + (n % workspaceCount);
      const posted = postedAt.get(bison) ?? [];
      postedAt.set(bison, posted);
      posted.push(performance.now());
      expected += clients.filter((_, c) => 1 + (c % workspaceCount) === bison).length;
      posts.push(post(bison, n + 1));
    }
    await Promise.all(posts);
    const deadline = performance.now() + 15_000;
    while (latencies.length < expected && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const [{ messages, seconds }] = await sql`
      select count(*)::int as messages,
             extract(epoch from clock_timestamp() - ${from}::timestamptz)::float as seconds
      from realtime.messages
      where event = 'metrics_updated' and inserted_at >= ${from}::timestamptz at time zone 'UTC'`;
    latencies.sort((a, b) => a - b);
    answered.sort((a, b) => a - b);
    const ms = (p: number, of = latencies) => percentile(of, p).toFixed(1);
    const p99 = percentile(latencies, 99);
    console.log(`webhooks posted        ${events} at ${rate}/s, over ${workspaceCount} workspaces`);
    console.log(
      `clients                ${clientCount} (${clientCount / workspaceCount} a workspace)`,
    );
    console.log(`broadcast interval     ${interval}`);
    console.log(
      `metric broadcasts      ${messages} (${(messages / seconds).toFixed(1)}/s, each to ` +
        `${clientCount / workspaceCount} clients)`,
    );
    console.log(`events seen            ${latencies.length} of ${expected}`);
    console.log(`latency p50/p95/p99    ${ms(50)} / ${ms(95)} / ${ms(99)} ms`);
    console.log(`latency max            ${latencies.at(-1)?.toFixed(1)} ms`);
    console.log(
      `webhook answered p50/p99 ${ms(50, answered)} / ${ms(99, answered)} ms (of the above)`,
    );
    console.log(
      `target p99 < ${targetP99Ms} ms  ${
        p99 < targetP99Ms ? "met" : "missed"
      } (never the exit code)`,
    );
    return latencies.length === expected ? 0 : 1;
  } finally {
    await flusher.stop();
    for (const client of clients) {
      await client.removeAllChannels();
      await client.auth.signOut();
    }
    await sql.end();
    await bench.close();
  }
}

if (import.meta.main) await runBenchmark(main);
