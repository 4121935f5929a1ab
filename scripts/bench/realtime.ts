// Realtime broadcast latency on the local stack: from a database insert (realtime.send on a
// workspace's private topic) to the callback of real supabase-js clients subscribed to it.
//
//   node_modules/.bin/deno run --allow-all scripts/bench/realtime.ts [--messages 500] [--rate 50]
//     [--clients 20]
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { localJwtSecret, roleKey } from "../local/config.ts";
import { signJwt } from "../local/jwt.ts";
import { percentile, positiveOption, startBenchStack } from "./bench-stack.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "500" },
    rate: { type: "string", default: "50" },
    clients: { type: "string", default: "20" },
  },
});
const messages = positiveOption("messages", values.messages);
const rate = positiveOption("rate", values.rate);
const clientCount = positiveOption("clients", values.clients);

const bench = await startBenchStack({}, { clientApis: true });
const sql = postgres(bench.databaseUrl, { max: 8, prepare: false, onnotice: () => {} });
const clients: SupabaseClient[] = [];
try {
  const [{ connection_id }] = await sql`
    insert into public.bison_connections (name, base_url)
    values ('realtime bench', 'https://send.example.test') returning id as connection_id`;
  const [{ workspace_id }] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    values (${connection_id}, 1, 'bench') returning id as workspace_id`;
  const [{ user_id }] = await sql`
    insert into auth.users (id, aud, role, email)
    values (gen_random_uuid(), 'authenticated', 'authenticated', 'bench@example.test')
    returning id as user_id`;
  await sql`insert into public.workspace_members (user_id, workspace_id)
            values (${user_id}, ${workspace_id})`;
  const token = await signJwt({
    sub: user_id,
    role: "authenticated",
    aud: "authenticated",
    exp: Math.floor(Date.now() / 1000) + 3600,
  }, localJwtSecret);
  const topic = `workspace:${workspace_id}:metrics`;
  const anonKey = await roleKey("anon");

  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let received = 0;
  for (let c = 0; c < clientCount; c++) {
    const client = createClient(bench.apiUrl, anonKey, {
      accessToken: () => Promise.resolve(token),
    });
    await client.realtime.setAuth();
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.channel(topic, { config: { private: true } })
        .on("broadcast", { event: "bench" }, ({ payload }) => {
          const start = sentAt.get(payload.n);
          if (start !== undefined) latencies.push(performance.now() - start);
          received++;
        })
        .subscribe((status, error) => {
          if (status === "SUBSCRIBED") resolve();
          else reject(new Error(`${status}: ${error?.message}`));
        });
    });
  }
  console.error(`bench: ${clientCount} clients joined ${topic}; sending ${messages} at ${rate}/s`);

  const started = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let n = 0; n < messages; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt.set(n, performance.now());
    // postgres.js sends a query only once it is awaited or executed.
    sends.push(sql`select realtime.send(${sql.json({ n })}, 'bench', ${topic}, true)`.execute());
  }
  await Promise.all(sends);
  const expected = messages * clientCount;
  const deadline = performance.now() + 10_000;
  while (received < expected && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  latencies.sort((a, b) => a - b);
  const ms = (p: number) => percentile(latencies, p).toFixed(1);
  console.log(`messages sent          ${messages} at ${rate}/s`);
  console.log(`clients                ${clientCount}`);
  console.log(`deliveries             ${received} of ${expected}`);
  console.log(`latency p50/p95/p99    ${ms(50)} / ${ms(95)} / ${ms(99)} ms`);
  console.log(`latency max            ${latencies.at(-1)?.toFixed(1)} ms`);
  if (received !== expected) Deno.exitCode = 1;
} finally {
  for (const client of clients) await client.removeAllChannels();
  await sql.end();
  await bench.close();
}
