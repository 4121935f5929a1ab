// `npm run gen`: the files generated from the database itself, so that what a frontend developer
// reads cannot drift from what the database does: docs/data-model.md (the API surface with its
// comments, who may read or call what, and the catalogue of Realtime topics, events and payloads)
// and supabase/types/database.ts (the pinned Supabase CLI's TypeScript types). It builds a fresh
// database from the migrations first, on the test stack (TEST_STACK_OFFSET applies), and stops it
// afterwards. `npm run gen -- --check` writes nothing and exits 1 when a file differs;
// scripts/generate.test.ts does the same check inside `npm test`.
import postgres from "postgres";
import { join } from "node:path";
import { repoRoot, stackConfig, supabaseCli } from "./local/config.ts";
import { cliDatabaseUrl, freshDatabase, stopDatabase } from "./local/database.ts";

export const dataModelFile = "docs/data-model.md";
export const typesFile = "supabase/types/database.ts";

const apiRoles = ["anon", "authenticated", "service_role"] as const;

/**
 * Prose from the database as one markdown line: pipes escaped for tables, and angle brackets
 * (workspace:<id>:metrics) kept visible rather than read as HTML tags.
 */
const cell = (text: string | null | undefined) =>
  (text ?? "").replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");

/** How a column of a row sent as a broadcast reaches the client, in JSON. */
function jsonType(sqlType: string): string {
  if (/^(smallint|integer|bigint|numeric|real|double precision)/.test(sqlType)) return "number";
  if (sqlType === "boolean") return "boolean";
  if (sqlType === "date") return "string (date)";
  if (sqlType.startsWith("timestamp with time zone")) return "string (timestamptz)";
  if (sqlType === "jsonb" || sqlType === "json") return "JSON";
  return "string";
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

interface Relation {
  oid: number;
  name: string;
  kind: "r" | "v" | "m" | "p";
  comment: string | null;
  rls: boolean;
  invoker: boolean;
  grants: Record<string, string[]>;
  published: boolean;
  replicaIdentity: string;
}

interface Column {
  relation: number;
  name: string;
  type: string;
  not_null: boolean;
  primary_key: boolean;
  comment: string | null;
}

interface Policy {
  relation: string;
  name: string;
  roles: string[];
  command: string;
}

interface Routine {
  name: string;
  arguments: string;
  result: string;
  volatility: string;
  definer: boolean;
  comment: string | null;
  executors: string[];
}

interface Broadcast {
  topic: string;
  event: string;
  is_private: boolean;
  receivers: string;
  sent_when: string;
  payload_relation: string | null;
  payload_fields: { name: string; type: string; description: string }[] | null;
  sent_by: string[];
}

async function readCatalog(sql: postgres.Sql) {
  const relations = await sql<Relation[]>`
    select c.oid::int as oid, c.relname as name, c.relkind as kind,
           obj_description(c.oid, 'pg_class') as comment, c.relrowsecurity as rls,
           coalesce('security_invoker=true' = any (c.reloptions), false) as invoker,
           (select jsonb_object_agg(r, array(
              select p from unnest(array['select', 'insert', 'update', 'delete']) p
              where has_table_privilege(r, c.oid, p)))
            from unnest(${apiRoles as unknown as string[]}::text[]) r) as grants,
           exists (select 1 from pg_catalog.pg_publication_tables t
                   where t.pubname = 'supabase_realtime' and t.schemaname = 'public'
                     and t.tablename = c.relname) as published,
           c.relreplident as "replicaIdentity"
    from pg_catalog.pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
    order by c.relname`;
  const columns = await sql<Column[]>`
    select a.attrelid::int as relation, a.attname as name,
           format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           exists (select 1 from pg_catalog.pg_index i
                   where i.indrelid = a.attrelid and i.indisprimary
                     and a.attnum = any (i.indkey)) as primary_key,
           col_description(a.attrelid, a.attnum) as comment
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
      and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`;
  const policies = await sql<Policy[]>`
    select p.schemaname || '.' || p.tablename as relation, p.policyname as name,
           p.roles::text[] as roles, p.cmd as command
    from pg_catalog.pg_policies p
    where p.schemaname = 'public' or (p.schemaname = 'realtime' and p.tablename = 'messages')
    order by p.schemaname, p.tablename, p.policyname`;
  const routines = await sql<Routine[]>`
    select p.proname as name, pg_get_function_arguments(p.oid) as arguments,
           pg_get_function_result(p.oid) as result,
           case p.provolatile when 'i' then 'immutable' when 's' then 'stable'
             else 'volatile' end as volatility,
           p.prosecdef as definer, obj_description(p.oid, 'pg_proc') as comment,
           array(select r from unnest(${apiRoles as unknown as string[]}::text[]) r
                 where has_function_privilege(r, p.oid, 'execute')) as executors
    from pg_catalog.pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.prorettype <> 'trigger'::regtype
    order by p.proname, pg_get_function_arguments(p.oid)`;
  const broadcasts = await sql<Broadcast[]>`
    select b.topic, b.event, b.is_private, b.receivers, b.sent_when,
           (select format('%I.%I', n.nspname, c.relname) from pg_catalog.pg_class c
            join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where c.oid = b.payload_relation) as payload_relation,
           b.payload_fields, b.sent_by
    from private.realtime_broadcasts b
    order by b.topic, b.event`;
  const payloadColumns = await sql<(Column & { relation_name: string })[]>`
    select format('%I.%I', n.nspname, c.relname) as relation_name, a.attname as name,
           format_type(a.atttypid, a.atttypmod) as type,
           col_description(a.attrelid, a.attnum) as comment
    from (select distinct payload_relation from private.realtime_broadcasts) b
    join pg_catalog.pg_class c on c.oid = b.payload_relation
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = b.payload_relation
    where a.attnum > 0 and not a.attisdropped
    order by 1, a.attnum`;
  const [publication] = await sql<{ events: string[] }[]>`
    select array_remove(array[case when p.pubinsert then 'INSERT' end,
                              case when p.pubupdate then 'UPDATE' end,
                              case when p.pubdelete then 'DELETE' end], null) as events
    from pg_catalog.pg_publication p where p.pubname = 'supabase_realtime'`;
  return { relations, columns, policies, routines, broadcasts, payloadColumns, publication };
}

function access(relation: Relation, policies: Policy[]): string {
  const granted = apiRoles.map((role) => {
    const privileges = relation.grants[role];
    return `${role}: ${privileges.length ? privileges.join(", ") : "nothing"}`;
  }).join("; ");
  let rows: string;
  if (relation.kind === "v") {
    rows = relation.invoker
      ? "Rows: as the row level security of the tables it reads decides (security invoker)."
      : "Rows: every row (runs as its owner).";
  } else if (relation.rls) {
    rows = policies.length
      ? "Rows (row level security; service_role bypasses it): " +
        policies.map((p) => `"${p.name}" (${p.command.toLowerCase()}, ${p.roles.join(", ")})`)
          .join("; ") +
        "."
      : "Rows: none through the API (row level security without a policy).";
  } else {
    rows = "Rows: every row (no row level security).";
  }
  return `Privileges — ${granted}. ${rows}`;
}

/** The markdown of docs/data-model.md, from the database at the other end of sql. */
export async function dataModelMarkdown(sql: postgres.Sql): Promise<string> {
  const catalog = await readCatalog(sql);
  const out: string[] = [];
  const views = catalog.relations.filter((r) => r.kind === "v" || r.kind === "m");
  const tables = catalog.relations.filter((r) => r.kind === "r" || r.kind === "p");
  const policiesOf = (name: string) => catalog.policies.filter((p) => p.relation === name);

  out.push(
    "# Data model: what a frontend reads",
    "",
    "<!-- Generated by `npm run gen` (scripts/generate.ts) from the database itself. Do not edit: " +
      "change the comments, grants or the broadcast catalogue in a migration, then run " +
      "`npm run gen`. `npm test` fails when this file differs from what the database says. -->",
    "",
    "Everything in the `public` schema, as the Data API (`/rest/v1`, supabase-js `from()` and " +
      "`rpc()`) serves it, and every Realtime topic the project sends. Descriptions are the " +
      "database's own comments. How to use them from a frontend: [frontend.md](frontend.md); " +
      "what each number means and where it comes from: [metrics.md](metrics.md). TypeScript " +
      "types of all of it: `supabase/types/database.ts`.",
    "",
    "Members of a workspace read that workspace's rows; agency admins read every workspace's; " +
      "`anon` reads nothing. Rates are percentages (`*_pct`: 1.25 means 1.25 %); days are local " +
      "days in the workspace's reporting time zone.",
    "",
    "## Contents",
    "",
    `- [Views](#views): ${views.map((v) => `\`${v.name}\``).join(", ")}`,
    `- [Tables](#tables): ${tables.map((t) => `\`${t.name}\``).join(", ")}`,
    `- [Functions (RPC)](#functions-rpc): ${
      catalog.routines.map((r) => `\`${r.name}\``).join(", ")
    }`,
    "- [Realtime](#realtime): [broadcasts](#broadcasts), " +
      "[postgres_changes](#postgres_changes)",
    "",
  );

  const describeRelation = (relation: Relation) => {
    const columns = catalog.columns.filter((c) => c.relation === relation.oid);
    const isTable = relation.kind === "r" || relation.kind === "p";
    out.push(
      `### ${relation.name}`,
      "",
      cell(relation.comment) || "(no comment)",
      "",
      access(relation, policiesOf(`public.${relation.name}`)),
      "",
      table(
        ["Column", "Type", "Description"],
        columns.map((c) => [
          `\`${c.name}\``,
          `${c.type}${isTable && !c.not_null ? " (nullable)" : ""}${
            c.primary_key ? " (primary key)" : ""
          }`,
          c.comment ?? "",
        ]),
      ),
      "",
    );
  };

  out.push("## Views", "");
  views.forEach(describeRelation);
  out.push("## Tables", "");
  tables.forEach(describeRelation);

  out.push(
    "## Functions (RPC)",
    "",
    "Called with `supabase.rpc(name, { argument: value })` (`POST /rest/v1/rpc/<name>`; stable " +
      "ones also answer `GET`). They run as the caller unless marked security definer.",
    "",
  );
  for (const routine of catalog.routines) {
    out.push(
      `### ${routine.name}`,
      "",
      `\`${routine.name}(${routine.arguments})\` → \`${routine.result}\` — ${routine.volatility}` +
        `${routine.definer ? ", security definer" : ""}. Executable by: ${
          routine.executors.length ? routine.executors.join(", ") : "no API role"
        }.`,
      "",
      cell(routine.comment) || "(no comment)",
      "",
    );
  }

  out.push(
    "## Realtime",
    "",
    "### Broadcasts",
    "",
    "Join a topic with `supabase.channel(topic, { config: { private: true } })` and listen with " +
      "`.on('broadcast', { event }, callback)`: the callback receives `{ type, event, payload }`. " +
      "A private channel is joined only when the user may read the topic: Realtime runs the " +
      "`select` policies of `realtime.messages` as the user. A payload carries the fields below " +
      "and `id`, the message id Realtime adds to a payload without an `id` of its own.",
    "",
    "Who may join:",
    "",
    ...catalog.policies.filter((p) => p.relation === "realtime.messages").map((p) =>
      `- "${p.name}" (${p.command.toLowerCase()}, ${p.roles.join(", ")})`
    ),
    "",
  );
  for (const broadcast of catalog.broadcasts) {
    const fields = broadcast.payload_fields ??
      catalog.payloadColumns.filter((c) => c.relation_name === broadcast.payload_relation)
        .map((c) => ({ name: c.name, type: jsonType(c.type), description: c.comment ?? "" }));
    out.push(
      `#### \`${broadcast.topic}\` — \`${broadcast.event}\``,
      "",
      `${broadcast.is_private ? "Private" : "Public"} topic. Received by: ${
        cell(broadcast.receivers)
      }. Sent ${cell(broadcast.sent_when)}. Sent by: ${
        broadcast.sent_by.map((s) => `\`${s}\``).join(", ")
      }.`,
      "",
      broadcast.payload_relation
        ? `Payload: a row of \`${broadcast.payload_relation}\`.`
        : "Payload:",
      "",
      table(
        ["Field", "Type", "Description"],
        fields.map((f) => [`\`${f.name}\``, f.type, f.description]),
      ),
      "",
    );
  }

  const published = catalog.relations.filter((r) => r.published);
  out.push(
    "### postgres_changes",
    "",
    "`.on('postgres_changes', { event, schema: 'public', table, filter }, callback)` on any " +
      "channel. Realtime sends a change to each subscriber who may `select` the row (row level " +
      "security, as that user); a `DELETE` reaches every subscriber, with the old record's " +
      `primary key only. Events published: ${
        (catalog.publication?.events ?? []).join(", ") || "none"
      }.`,
    "",
    table(
      ["Table", "Old record on UPDATE/DELETE", "Who receives a change"],
      published.map((r) => [
        `\`public.${r.name}\``,
        r.replicaIdentity === "f" ? "every column" : "primary key only",
        policiesOf(`public.${r.name}`).map((p) => `"${p.name}"`).join("; ") +
        "; service_role: every row",
      ]),
    ),
    "",
  );
  return out.join("\n");
}

/**
 * The pinned CLI's TypeScript types of the public schema (`supabase gen types typescript
 * --db-url`; it needs no Docker), formatted as the repository formats TypeScript.
 */
export async function databaseTypes(databaseUrl: string): Promise<string> {
  const generated = await new Deno.Command(supabaseCli, {
    args: [
      "gen",
      "types",
      "typescript",
      "--db-url",
      cliDatabaseUrl(databaseUrl),
      "--schema",
      "public",
    ],
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!generated.success) {
    throw new Error(`supabase gen types failed: ${new TextDecoder().decode(generated.stderr)}`);
  }
  const header =
    "// Generated by `npm run gen` (scripts/generate.ts) with the pinned Supabase CLI's " +
    "`gen types typescript --db-url`.\n// Do not edit: `npm test` fails when it differs from " +
    "the database.\n";
  const formatter = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--config", join(repoRoot, "deno.json"), "--ext", "ts", "-"],
    cwd: repoRoot,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = formatter.stdin.getWriter();
  await writer.write(new TextEncoder().encode(header + new TextDecoder().decode(generated.stdout)));
  await writer.close();
  const formatted = await formatter.output();
  if (!formatted.success) {
    throw new Error(`deno fmt failed: ${new TextDecoder().decode(formatted.stderr)}`);
  }
  return new TextDecoder().decode(formatted.stdout);
}

/** Every generated file's path (from the repository root) and contents. */
export async function generatedFiles(databaseUrl: string): Promise<Record<string, string>> {
  const sql = postgres(databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    return {
      [dataModelFile]: await dataModelMarkdown(sql),
      [typesFile]: await databaseTypes(databaseUrl),
    };
  } finally {
    await sql.end();
  }
}

/** The first line where two texts differ, for a message that says where to look. */
export function firstDifference(expected: string, actual: string): string {
  const want = expected.split("\n");
  const have = actual.split("\n");
  const line = want.findIndex((text, i) => text !== have[i]);
  const at = line === -1 ? want.length : line;
  return `line ${at + 1}: the database says ${JSON.stringify(want[at] ?? "<end of file>")}, ` +
    `the file has ${JSON.stringify(have[at] ?? "<end of file>")}`;
}

async function main(): Promise<number> {
  const check = Deno.args.includes("--check");
  const stack = stackConfig("test");
  console.log("building a fresh database from the migrations...");
  const url = await freshDatabase(stack);
  try {
    const files = await generatedFiles(url);
    let stale = 0;
    for (const [path, contents] of Object.entries(files)) {
      const file = join(repoRoot, path);
      const current = await Deno.readTextFile(file).catch(() => "");
      if (current === contents) {
        console.log(`${path}: up to date`);
      } else if (check) {
        stale++;
        console.log(`${path}: differs (${firstDifference(contents, current)})`);
      } else {
        await Deno.writeTextFile(file, contents);
        console.log(`${path}: written`);
      }
    }
    if (stale) console.log("run `npm run gen` and commit the result");
    return stale ? 1 : 0;
  } finally {
    await stopDatabase(stack);
  }
}

if (import.meta.main) Deno.exit(await main());
