// postgres_changes as Realtime's postgres_cdc_rls extension serves them: subscriptions to tables of
// the supabase_realtime publication (with `event` and `filter` as Realtime parses them), and for
// each committed change, per subscriber, the same decisions Realtime's apply_rls makes: which
// columns the subscriber's role may select, whether the row passes the filters, and whether RLS
// lets the subscriber (its role and claims) see the row, checked after the commit by primary key.
import type postgres from "postgres";
import type { JwtClaims } from "../jwt.ts";
import type { DecodedChange, DecodedColumn } from "./changes.ts";
import { rolledBack } from "./authorization.ts";

export const publication = "supabase_realtime";

const filterOps = [
  "eq",
  "neq",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "like",
  "ilike",
  "is",
  "match",
  "imatch",
  "isdistinct",
] as const;
type FilterOp = typeof filterOps[number];

export interface Filter {
  column: string;
  op: FilterOp;
  value: string;
  negate: boolean;
}

export interface SubscriptionParams {
  action: "*" | "INSERT" | "UPDATE" | "DELETE";
  schema: string;
  table: string;
  filters: Filter[];
}

/** What the client asked for in config.postgres_changes, parsed as Realtime parses it. */
export function parseSubscriptionParams(
  params: Record<string, unknown>,
): { ok: true; params: SubscriptionParams } | { ok: false; message: string } {
  const event = typeof params.event === "string" ? params.event.toUpperCase() : "*";
  const action =
    (["INSERT", "UPDATE", "DELETE"].includes(event) ? event : "*") as SubscriptionParams["action"];
  if ("select" in params) {
    return {
      ok: false,
      message: "Column selection (`select`) is not supported by the local Realtime stand-in",
    };
  }
  const { schema, table, filter } = params;
  const has = (key: string) => key in params;
  let parsed: { schema: string; table: string; filter?: string } | null = null;
  if (typeof schema === "string" && typeof table === "string" && typeof filter === "string") {
    parsed = { schema, table, filter };
  } else if (typeof schema === "string" && typeof table === "string" && !has("filter")) {
    parsed = { schema, table };
  } else if (typeof schema === "string" && !has("table") && !has("filter")) {
    parsed = { schema, table: "*" };
  } else if (typeof table === "string" && !has("schema") && !has("filter")) {
    parsed = { schema: "public", table };
  }
  if (!parsed) {
    return {
      ok: false,
      message: "No subscription params provided. Please provide at least a `schema` or `table` " +
        `to subscribe to: ${describeParams(params)}`,
    };
  }
  const filters = parseFilters(parsed.filter ?? "");
  if (!filters.ok) {
    return { ok: false, message: `Error parsing \`filter\` params: ${filters.message}` };
  }
  return {
    ok: true,
    params: { action, schema: parsed.schema, table: parsed.table, filters: filters.filters },
  };
}

function describeParams(params: Record<string, unknown>): string {
  if ("user_token" in params || "auth_token" in params) return "<redacted>";
  const entries = Object.entries(params).map(([key, value]) =>
    `"${key}" => ${JSON.stringify(value)}`
  );
  return `%{${entries.join(", ")}}`;
}

/** Splits on commas outside parentheses and double quotes, as Realtime does. */
function splitTopLevel(filter: string): string[] {
  const segments: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  let previous = "";
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i];
    if (quoted) {
      if (char === "\\" && i + 1 < filter.length) {
        current += char + filter[++i];
        previous = filter[i];
        continue;
      }
      if (char === '"') quoted = false;
      current += char;
    } else if (char === '"' && [".", "(", ","].includes(previous)) {
      quoted = true;
      current += char;
    } else if (char === "(") {
      depth++;
      current += char;
    } else if (char === ")") {
      depth = Math.max(0, depth - 1);
      current += char;
    } else if (char === "," && depth === 0) {
      segments.push(current);
      current = "";
    } else {
      current += char;
    }
    previous = char;
  }
  segments.push(current);
  return segments;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let result = "";
  for (let i = 1; i < value.length; i++) {
    const char = value[i];
    if (char === "\\" && i + 1 < value.length) result += value[++i];
    else if (char === '"') return i === value.length - 1 ? result : value;
    else result += char;
  }
  return value;
}

function parseFilters(
  filter: string,
): { ok: true; filters: Filter[] } | { ok: false; message: string } {
  const trimmed = filter.trim();
  if (trimmed === "") return { ok: true, filters: [] };
  const filters: Filter[] = [];
  for (const raw of splitTopLevel(trimmed)) {
    const segment = raw.trim();
    if (segment === "") {
      return {
        ok: false,
        message: "filter must not contain empty segments (check for extra commas)",
      };
    }
    const equals = segment.indexOf("=");
    if (equals < 0) return { ok: false, message: JSON.stringify([segment]) };
    const column = segment.slice(0, equals);
    let rest = segment.slice(equals + 1);
    const negate = rest.startsWith("not.");
    if (negate) rest = rest.slice(4);
    const dot = rest.indexOf(".");
    if (dot < 0) return { ok: false, message: JSON.stringify([rest]) };
    const op = rest.slice(0, dot);
    const value = rest.slice(dot + 1);
    if (!(filterOps as readonly string[]).includes(op)) {
      return { ok: false, message: JSON.stringify([op, value]) };
    }
    if (op === "in") {
      if (!(value.length >= 2 && value.startsWith("(") && value.endsWith(")"))) {
        return { ok: false, message: "`in` filter value must be wrapped by parentheses" };
      }
      filters.push({ column, op, value: `{${value.slice(1, -1)}}`, negate });
    } else {
      filters.push({ column, op: op as FilterOp, value: unquote(value), negate });
    }
  }
  return { ok: true, filters };
}

/** How Realtime prints subscription params in its error messages. */
export function paramsForLog(params: SubscriptionParams): string {
  const filters = params.filters.map((f) =>
    `{${JSON.stringify(f.column)}, ${JSON.stringify(f.op)}, ${
      JSON.stringify(f.value)
    }, ${f.negate}}`
  );
  return `[event: ${params.action}, schema: ${params.schema}, table: ${params.table}, ` +
    `filters: [${filters.join(", ")}], select: nil]`;
}

export interface TableInfo {
  oid: number;
  schema: string;
  table: string;
  rlsEnabled: boolean;
  /** Every column in attnum order, with a type reference safe to splice into a cast. */
  columns: { name: string; typeName: string; typeRef: string; isPkey: boolean }[];
}

export interface Subscription {
  /** The id the client knows the binding by. */
  bindingId: number;
  params: SubscriptionParams;
  tables: TableInfo[];
  claims: JwtClaims;
  /** The channel the subscription belongs to. */
  channel: unknown;
}

/** A change one subscription may see, with the `data` Realtime sends for it. */
export interface Delivery {
  subscription: Subscription;
  data: string;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function tableInfo(sql: postgres.Sql, oid: number): Promise<TableInfo> {
  const rows = await sql<
    {
      schema: string;
      table: string;
      rls: boolean;
      name: string;
      type_name: string;
      type_ref: string;
      is_pkey: boolean;
    }[]
  >`
    select n.nspname as schema, c.relname as table, c.relrowsecurity as rls,
           a.attname as name, t.typname as type_name,
           pg_catalog.format('%I.%I', tn.nspname, t.typname) as type_ref,
           exists (select 1 from pg_catalog.pg_constraint k
                   where k.conrelid = c.oid and k.contype = 'p' and a.attnum = any(k.conkey))
             as is_pkey
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_catalog.pg_type t on t.oid = a.atttypid
    join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
    where c.oid = ${oid}
    order by a.attnum`;
  if (rows.length === 0) throw new Error(`table ${oid} is gone`);
  return {
    oid,
    schema: rows[0].schema,
    table: rows[0].table,
    rlsEnabled: rows[0].rls,
    columns: rows.map((row) => ({
      name: row.name,
      typeName: row.type_name,
      typeRef: row.type_ref,
      isPkey: row.is_pkey,
    })),
  };
}

export class SubscriptionError extends Error {}

function describePgError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const names: Record<string, string> = {
    P0001: "raise_exception",
    "22P02": "invalid_text_representation",
    "22023": "invalid_parameter_value",
    "42704": "undefined_object",
    "22007": "invalid_datetime_format",
    "22008": "datetime_field_overflow",
    "22003": "numeric_value_out_of_range",
  };
  return e.code ? `ERROR ${e.code} (${names[e.code] ?? e.code}) ${e.message}` : String(e.message);
}

/**
 * What Realtime's subscription insert checks: the publication has matching tables, the claimed
 * role exists, every filter names a column the role may select and a value of its type.
 */
export async function resolveSubscription(
  sql: postgres.Sql,
  params: SubscriptionParams,
  claims: JwtClaims,
): Promise<TableInfo[]> {
  const role = String(claims.role ?? "");
  let tables: TableInfo[];
  try {
    const rows = await sql<{ oid: number }[]>`
      select pg_catalog.format('%I.%I', schemaname, tablename)::regclass::oid::int as oid
      from pg_catalog.pg_publication_tables
      where pubname = ${publication}
        and schemaname like (case ${params.schema} when '*' then '%' else ${params.schema} end) escape ''
        and tablename like (case ${params.table} when '*' then '%' else ${params.table} end) escape ''`;
    if (rows.length === 0) {
      throw new SubscriptionError(
        "Unable to subscribe to changes with given parameters. Please check Realtime is enabled " +
          `for the given connect parameters: ${paramsForLog(params)}`,
      );
    }
    tables = await Promise.all(rows.map((row) => tableInfo(sql, row.oid)));
    await sql`select ${role}::regrole`;
    for (const table of tables) {
      for (const filter of params.filters) {
        const column = table.columns.find((c) => c.name === filter.column);
        const [{ allowed }] = column
          ? await sql`select pg_catalog.has_column_privilege(
              ${role}, ${table.oid}::oid, ${column.name}, 'SELECT') as allowed`
          : [{ allowed: false }];
        if (!column || !allowed) {
          throw Object.assign(new Error(`invalid column for filter ${filter.column}`), {
            code: "P0001",
          });
        }
        if (filter.op === "is") {
          if (!["null", "true", "false", "unknown"].includes(filter.value)) {
            throw Object.assign(
              new Error("invalid value for is filter: must be null, true, false, or unknown"),
              { code: "P0001" },
            );
          }
        } else if (filter.op === "in") {
          const [{ count }] = await sql.unsafe(
            `select coalesce(pg_catalog.array_length($1::text::${column.typeRef}[], 1), 0) as count`,
            [filter.value],
          );
          if (count > 100) {
            throw Object.assign(new Error("too many values for `in` filter. Maximum 100"), {
              code: "P0001",
            });
          }
        } else if (!["like", "ilike", "match", "imatch"].includes(filter.op)) {
          await sql.unsafe(`select $1::text::${column.typeRef}`, [filter.value]);
        }
      }
    }
  } catch (error) {
    if (error instanceof SubscriptionError) throw error;
    throw new SubscriptionError(
      "Unable to subscribe to changes with given parameters. An exception happened so please " +
        `check your connect parameters: ${paramsForLog(params)}. Exception: ${
          describePgError(error)
        }`,
    );
  }
  return tables;
}

const sqlOperators: Record<string, string> = {
  eq: "=",
  neq: "!=",
  lt: "<",
  lte: "<=",
  gt: ">",
  gte: ">=",
  like: "LIKE",
  ilike: "ILIKE",
  match: "~",
  imatch: "~*",
};

/** One SQL boolean expression for a filter; $a is the row's value, $b the filter's. */
function filterExpression(filter: Filter, typeRef: string, a: number, b: number): string {
  const left = `$${a}::text::${typeRef}`;
  if (filter.op === "isdistinct") {
    return `(${left} ${filter.negate ? "IS NOT" : "IS"} DISTINCT FROM $${b}::text::${typeRef})`;
  }
  if (filter.op === "is") {
    const keyword = ({ null: "NULL", true: "TRUE", false: "FALSE", unknown: "UNKNOWN" } as Record<
      string,
      string
    >)[filter.value];
    return `(${left} ${filter.negate ? "IS NOT" : "IS"} ${keyword})`;
  }
  const right = filter.op === "in" ? `any($${b}::text::${typeRef}[])` : `$${b}::text::${typeRef}`;
  const expression = `(${left} ${sqlOperators[filter.op] ?? "="} ${right})`;
  return filter.negate ? `(not ${expression})` : expression;
}

export interface PreparedChange {
  change: DecodedChange;
  table: TableInfo;
  commitTimestamp: string;
}

/**
 * Evaluates one committed change for every subscription on its table and returns, for each one
 * that may see it, its payload, exactly as apply_rls builds it (columns and records limited to what the role may
 * select; on a table with RLS, DELETE old records carry only the primary key).
 */
export async function dispatchChange(
  sql: postgres.Sql,
  prepared: PreparedChange,
  subscriptions: Subscription[],
): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  const { change, table, commitTimestamp } = prepared;
  const action = change.action as "INSERT" | "UPDATE" | "DELETE";
  const interested = subscriptions.filter((s) =>
    s.params.action === "*" || s.params.action === action
  );
  if (interested.length === 0) return deliveries;

  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const newColumns = change.columns.filter((c) => byName.has(c.name));
  const pkNames = new Set(table.columns.filter((c) => c.isPkey).map((c) => c.name));
  // The old identity: what the log carries, else (UPDATE of an unchanged key) the new row's key.
  const identity = change.identity.length > 0
    ? change.identity.filter((c) => byName.has(c.name))
    : action === "UPDATE"
    ? newColumns.filter((c) => pkNames.has(c.name))
    : [];

  // JSON values as Realtime's realtime.cast makes them: the text cast to the column's type.
  const all = [...newColumns, ...identity];
  const values = all.length
    ? (await sql.unsafe(
      `select jsonb_build_array(${
        all.map((c, i) => `to_jsonb($${i + 1}::text::${byName.get(c.name)!.typeRef})`).join(", ")
      }) as values`,
      all.map((c) => c.value),
    ))[0].values as unknown[]
    : [];
  const json = (list: DecodedColumn[], offset: number) =>
    new Map(list.map((c, i) => [c.name, c.unchangedToast ? undefined : values[offset + i]]));
  const newValues = json(newColumns, 0);
  const oldValues = json(identity, newColumns.length);

  const roles = [...new Set(interested.map((s) => String(s.claims.role ?? "")))].sort();
  for (const role of roles) {
    const forRole = interested.filter((s) => String(s.claims.role ?? "") === role);
    const [privileges] = await sql.unsafe(
      `select jsonb_build_object(${
        table.columns.map((_, i) =>
          `$${i + 3}::text, pg_catalog.has_column_privilege($1, $2::oid, $${i + 3}, 'SELECT')`
        ).join(", ")
      }) as selectable`,
      [role, table.oid, ...table.columns.map((c) => c.name)],
    );
    const selectable = privileges.selectable as Record<string, boolean>;
    const base = { schema: table.schema, table: table.table, type: action };

    let errors: string[] | null = null;
    if (action !== "DELETE" && pkNames.size === 0) {
      errors = ["Error 400: Bad Request, no primary key"];
    } else if (action !== "DELETE" && [...pkNames].some((name) => !selectable[name])) {
      errors = ["Error 401: Unauthorized"];
    }
    if (errors) {
      const data = JSON.stringify({ ...base, errors });
      for (const subscription of forRole) deliveries.push({ subscription, data });
      continue;
    }

    const visible: Subscription[] = [];
    for (const subscription of forRole) {
      if (!(await passesFilters(sql, subscription, newColumns, identity, byName, action))) continue;
      if (table.rlsEnabled && action !== "DELETE") {
        if (!(await rlsAllows(sql, subscription.claims, table, newColumns, pkNames))) continue;
      }
      visible.push(subscription);
    }
    if (visible.length === 0) continue;

    const columns = table.columns.filter((c) => selectable[c.name]).map((c) => ({
      name: c.name,
      type: c.typeName,
    }));
    const payload: Record<string, unknown> = {
      ...base,
      commit_timestamp: commitTimestamp,
      columns,
      errors: null,
    };
    if (action === "INSERT" || action === "UPDATE") {
      const record: Record<string, unknown> = {};
      for (const c of table.columns) {
        if (!selectable[c.name]) continue;
        const fresh = newColumns.find((n) => n.name === c.name);
        if (fresh && !fresh.unchangedToast) record[c.name] = newValues.get(c.name);
        else if (oldValues.get(c.name) !== undefined) record[c.name] = oldValues.get(c.name);
      }
      payload.record = record;
    }
    if (action === "UPDATE" || action === "DELETE") {
      const old: Record<string, unknown> = {};
      for (const c of identity) {
        if (!selectable[c.name]) continue;
        if (action === "DELETE" && table.rlsEnabled && !pkNames.has(c.name)) continue;
        old[c.name] = oldValues.get(c.name);
      }
      payload.old_record = old;
    }
    const data = JSON.stringify(payload);
    for (const subscription of visible) deliveries.push({ subscription, data });
  }
  return deliveries;
}

async function passesFilters(
  sql: postgres.Sql,
  subscription: Subscription,
  newColumns: DecodedColumn[],
  identity: DecodedColumn[],
  byName: Map<string, TableInfo["columns"][number]>,
  action: string,
): Promise<boolean> {
  const filters = subscription.params.filters;
  if (filters.length === 0) return true;
  const check = async (row: DecodedColumn[]) => {
    const args: (string | null)[] = [];
    const expressions: string[] = [];
    for (const filter of filters) {
      const column = row.find((c) => c.name === filter.column);
      if (!column || column.unchangedToast) return false;
      args.push(column.value, filter.value);
      expressions.push(
        `coalesce(${
          filterExpression(filter, byName.get(column.name)!.typeRef, args.length - 1, args.length)
        }, false)`,
      );
    }
    const [{ passes }] = await sql.unsafe(
      `select ${expressions.join(" and ")} as passes`,
      args,
    );
    return passes as boolean;
  };
  if (await check(newColumns)) return true;
  return action === "DELETE" && await check(identity);
}

/** apply_rls: does the row (by primary key) exist for the subscriber's role and claims? */
async function rlsAllows(
  sql: postgres.Sql,
  claims: JwtClaims,
  table: TableInfo,
  newColumns: DecodedColumn[],
  pkNames: Set<string>,
): Promise<boolean> {
  const keys = newColumns.filter((c) => pkNames.has(c.name));
  const where = keys.map((c, i) =>
    `${quoteIdent(c.name)} = $${i + 1}::text::${
      table.columns.find((t) => t.name === c.name)!.typeRef
    }`
  ).join(" and ");
  return await rolledBack(sql, async (tx) => {
    await tx`select pg_catalog.set_config('role', ${String(claims.role ?? "")}, true),
                    pg_catalog.set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    const [row] = await tx.unsafe(
      `select exists (select 1 from ${quoteIdent(table.schema)}.${
        quoteIdent(table.table)
      } where ${where}) as visible`,
      keys.map((c) => c.value),
    );
    return row.visible as boolean;
  });
}
