// Builds the statements PostgREST runs for a read or a function call, in the same shape (a
// pgrst_source CTE, an optional count CTE, one row with the count, page size, body and response
// GUCs). Identifiers are always quoted here; every value from the request is a bind parameter of
// unknown type, so PostgreSQL types it from its context exactly as it does for PostgREST. The only
// text spliced in unquoted is what PostgREST splices: SQL keywords chosen here, casts that the
// query parser only lets through as letters, digits, "_", " " and "$", and type names read from
// pg_catalog.
import type { Field, Filter, LogicTree, OrderTerm, SelectItem } from "./query-params.ts";
import { type Range, rangeAll, rangeEquals, rangeLimit, rangeOffset } from "./range.ts";
import type { Column, RoutineParam } from "./schema.ts";

/** Collects bind parameters; `add` returns the placeholder. */
export class Params {
  readonly values: string[] = [];
  add(value: string): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** PostgREST's escapeIdent: double-quoted, quotes doubled, cut at a NUL. */
export function ident(name: string): string {
  const cut = name.indexOf("\0");
  return `"${(cut < 0 ? name : name.slice(0, cut)).replaceAll('"', '""')}"`;
}

export const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;

export interface Source {
  /** The FROM item: a table, or the function's CTE under the function's name. */
  from: string;
  /** How columns are qualified in this query. */
  qualifier: string;
  /** Known columns (for JSON paths and full-text search); unknown ones are still allowed. */
  columns: Map<string, Column>;
}

export interface ReadPlan {
  source: Source;
  select: Extract<SelectItem, { kind: "field" }>[];
  /** Top-level and/or trees first, then filters, all joined with AND. */
  where: LogicTree[];
  order: OrderTerm[];
  range: Range;
}

const simpleOperators: Record<string, string> = {
  neq: "<>",
  cs: "@>",
  cd: "<@",
  ov: "&&",
  sl: "<<",
  sr: ">>",
  nxr: "&<",
  nxl: "&>",
  adj: "-|-",
};

const quantOperators: Record<string, string> = {
  eq: "=",
  gte: ">=",
  gt: ">",
  lte: "<=",
  lt: "<",
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
};

const ftsFunctions: Record<string, string> = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
};

function column(source: Source, name: string): string {
  return name === "*" ? `${source.qualifier}.*` : `${source.qualifier}.${ident(name)}`;
}

function jsonPath(field: Field, params: Params): string {
  return field.jsonPath.map((step) =>
    step.arrow + (step.isIndex ? `${params.add(step.key)}::int` : params.add(step.key))
  ).join("");
}

/** A column, with its JSON path (json/jsonb as is, anything else through to_jsonb). */
function renderField(source: Source, field: Field, params: Params, ftsLanguage?: string | null) {
  const info = source.columns.get(field.name);
  let text = column(source, field.name);
  if (field.jsonPath.length > 0) {
    const isJson = info?.type === "json" || info?.type === "jsonb";
    text = (isJson ? text : `to_jsonb(${text})`) + jsonPath(field, params);
  }
  if (
    ftsLanguage !== undefined && !(info?.baseType === "tsvector" && field.jsonPath.length === 0)
  ) {
    text = `to_tsvector(${ftsLanguage === null ? "" : `${params.add(ftsLanguage)}, `}${text})`;
  }
  return text;
}

/** PostgreSQL array literal of the values, for `= ANY(...)`. */
export function arrayLiteral(values: string[]): string {
  const escape = (value: string) => {
    const cut = value.indexOf("\0");
    const trimmed = cut < 0 ? value : value.slice(0, cut);
    return `"${trimmed.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  };
  return `{${values.map(escape).join(",")}}`;
}

function renderFilter(source: Source, filter: Filter, params: Params): string {
  const { operation } = filter;
  const not = filter.negated ? "NOT " : "";
  const ftsLanguage = operation.kind === "fts" ? operation.language : undefined;
  const target = renderField(source, filter.field, params, ftsLanguage);
  switch (operation.kind) {
    case "simple":
      return `${not}${target} ${simpleOperators[operation.operator]} ${
        params.add(operation.value)
      }`;
    case "quant": {
      const isLike = operation.operator === "like" || operation.operator === "ilike";
      const value = params.add(isLike ? operation.value.replaceAll("*", "%") : operation.value);
      const operand = operation.quantifier === null
        ? value
        : `${operation.quantifier.toUpperCase()}(${value})`;
      return `${not}${target} ${quantOperators[operation.operator]} ${operand}`;
    }
    case "is":
      return `${not}${target} IS ${operation.value.replace("_", " ").toUpperCase()}`;
    case "isdistinct":
      return `${not}${target} IS DISTINCT FROM ${params.add(operation.value)}`;
    case "in":
      return operation.values.length === 1 && operation.values[0] === ""
        ? `${not}${target} = ANY('{}')`
        : `${not}${target} = ANY (${params.add(arrayLiteral(operation.values))})`;
    case "fts":
      return `${not}${target} @@ ${ftsFunctions[operation.operator]}(${
        operation.language === null ? "" : `${params.add(operation.language)}, `
      }${params.add(operation.value)})`;
  }
}

function renderLogic(source: Source, tree: LogicTree, params: Params): string {
  if (tree.kind === "filter") return renderFilter(source, tree.filter, params);
  const joined = tree.children.map((child) => renderLogic(source, child, params))
    .join(tree.operator === "and" ? " AND " : " OR ");
  return `${tree.negated ? "NOT " : ""}(${joined})`;
}

function whereClause(plan: ReadPlan, params: Params): string {
  if (plan.where.length === 0) return "";
  return ` WHERE ${plan.where.map((tree) => renderLogic(plan.source, tree, params)).join(" AND ")}`;
}

function renderSelect(source: Source, item: ReadPlan["select"][number], params: Params): string {
  let text = renderField(source, item.field, params);
  if (item.cast !== null) text = `CAST( ${text} AS ${item.cast} )`;
  // A JSON path names its output after its last key, as PostgREST does.
  let alias = item.alias;
  if (alias === null && item.field.jsonPath.length > 0) {
    const last = item.field.jsonPath.at(-1)!;
    alias = last.isIndex
      ? item.field.jsonPath.findLast((step) => !step.isIndex)?.key ?? item.field.name
      : last.key;
  }
  return alias === null ? text : `${text} AS ${ident(alias)}`;
}

function renderOrder(source: Source, term: OrderTerm, params: Params): string {
  const direction = term.direction === null ? "" : term.direction.toUpperCase();
  const nulls = term.nulls === null ? "" : `NULLS ${term.nulls.toUpperCase()}`;
  return [renderField(source, term.field, params), direction, nulls].filter(Boolean).join(" ");
}

function limitOffset(range: Range, params: Params): string {
  if (rangeEquals(range, rangeAll)) return "";
  const limit = rangeLimit(range);
  return ` LIMIT ${limit === null ? "ALL" : params.add(String(limit))} OFFSET ${
    params.add(String(rangeOffset(range)))
  }`;
}

/** The rows of the request: select list, filters, order and page. */
export function readQuery(plan: ReadPlan, params: Params): string {
  const selects = plan.select.length === 0
    ? [column(plan.source, "*")]
    : plan.select.map((item) => renderSelect(plan.source, item, params));
  const order = plan.order.length === 0
    ? ""
    : ` ORDER BY ${plan.order.map((term) => renderOrder(plan.source, term, params)).join(", ")}`;
  return `SELECT ${selects.join(", ")} FROM ${plan.source.from}${
    whereClause(plan, params)
  }${order}${limitOffset(plan.range, params)}`;
}

/** All rows the filters allow, for counting (no order, no page). */
export function countQuery(plan: ReadPlan, params: Params): string {
  return `SELECT 1 FROM ${plan.source.from}${whereClause(plan, params)}`;
}

export type BodyHandler = "json" | "json-stripped" | "object" | "object-stripped" | "csv" | "none";

export interface ReturnShape {
  scalar: boolean;
  setOfScalar: boolean;
  singleComposite: boolean;
}

const tableShape: ReturnShape = { scalar: false, setOfScalar: false, singleComposite: false };

function bodySql(handler: BodyHandler, shape: ReturnShape): string {
  const row = shape.scalar || shape.setOfScalar ? "_postgrest_t.pgrst_scalar" : "_postgrest_t";
  const strip = (text: string, stripped: boolean) => stripped ? `json_strip_nulls(${text})` : text;
  switch (handler) {
    case "none":
      return "''::text";
    case "csv":
      return `(SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text as k FROM ( SELECT row_to_json(hh) as r from pgrst_source as hh limit 1) s) a) || '\n' || coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), '\n'), '')`;
    case "object":
    case "object-stripped": {
      // Only a single scalar is unwrapped here; a set of scalars keeps its column (as PostgREST).
      const single = shape.scalar ? "_postgrest_t.pgrst_scalar" : "_postgrest_t";
      return `coalesce(${
        strip(`json_agg(${single})->0`, handler === "object-stripped")
      }, 'null')::text`;
    }
    default: {
      const stripped = handler === "json-stripped";
      if (shape.singleComposite || shape.scalar) {
        return `coalesce(${strip(`json_agg(${row})->0`, stripped)}, 'null')::text`;
      }
      return `coalesce(${strip(`json_agg(${row})`, stripped)}, '[]')::text`;
    }
  }
}

export type CountMode = "exact" | "planned" | "estimated" | null;

const responseGucs = "nullif(current_setting('response.headers', true), '') AS response_headers, " +
  "nullif(current_setting('response.status', true), '') AS response_status";

/** The count CTE and the expression reading it (or null when no count was asked for). */
function countParts(
  count: CountMode,
  plan: ReadPlan,
  maxRows: number | null,
  topLevel: Range,
  pageCount: string,
  params: Params,
): { cte: string; total: string } {
  if (count !== "exact" && count !== "estimated") return { cte: "", total: "null::bigint" };
  if (maxRows === null && rangeEquals(topLevel, rangeAll)) return { cte: "", total: pageCount };
  const limited = count === "estimated" && maxRows !== null ? ` LIMIT ${maxRows + 1}` : "";
  return {
    cte: `, pgrst_source_count AS (${countQuery(plan, params)}${limited})`,
    total: "(SELECT pg_catalog.count(*) FROM pgrst_source_count)",
  };
}

export type CallArguments =
  | { kind: "direct"; values: Map<string, string | string[]> }
  | { kind: "json"; body: string; isArray: boolean };

export interface CallPlan {
  function: string;
  /** The parameters the request names, in the function's order. */
  params: RoutineParam[];
  args: CallArguments;
  shape: ReturnShape;
  /** Columns the outer query needs from the result, or ["*"]. */
  returning: string[];
}

function callQuery(call: CallPlan, params: Params): string {
  const invoke = (args: string) =>
    call.shape.scalar || call.shape.setOfScalar
      ? `(SELECT ${call.function}(${args}) pgrst_scalar) pgrst_call`
      : `${call.function}(${args}) pgrst_call`;
  const columns = call.shape.scalar || call.shape.setOfScalar
    ? "pgrst_call.pgrst_scalar"
    : call.returning.length === 0
    ? "*"
    : call.returning.map((name) => name === "*" ? "pgrst_call.*" : `pgrst_call.${ident(name)}`)
      .join(", ");
  const variadic = (param: RoutineParam) => (param.variadic ? "VARIADIC " : "");
  if (call.params.length === 0) return `SELECT ${columns} FROM ${invoke("")}`;
  if (call.args.kind === "direct") {
    const values = call.args.values;
    const args = call.params.map((param) => {
      const value = values.get(param.name);
      const placeholder = value === undefined
        ? "NULL"
        : Array.isArray(value)
        ? `${params.add(arrayLiteral(value))}::text[]`
        : params.add(value);
      return `${variadic(param)}${ident(param.name)} := ${placeholder}::${param.typeMaxLength}`;
    });
    return `SELECT ${columns} FROM ${invoke(args.join(", "))}`;
  }
  const names = call.params.map((param) => ident(param.name));
  const typed = call.params.map((param) => `${ident(param.name)} ${param.typeMaxLength}`);
  const toRecord = call.args.isArray ? "json_to_recordset" : "json_to_record";
  const args = call.params.map((param) =>
    `${variadic(param)}${ident(param.name)} := pgrst_body.${ident(param.name)}`
  );
  return `SELECT ${columns} FROM (SELECT ${
    params.add(call.args.body)
  }::json AS json_data) pgrst_payload, LATERAL (SELECT ${
    names.join(", ")
  } FROM ${toRecord}(pgrst_payload.json_data) AS _(${
    typed.join(", ")
  }) LIMIT 1) pgrst_body , LATERAL ${invoke(args.join(", "))}`;
}

export interface MainStatement {
  plan: ReadPlan;
  /** Set for /rpc calls: the function's result is the source the plan reads from. */
  call: CallPlan | null;
  count: CountMode;
  maxRows: number | null;
  topLevel: Range;
  handler: BodyHandler;
}

/**
 * PostgREST's main statement: the rows (of a table, or of a function's result) in a pgrst_source
 * CTE, and one row with the total count, the page's row count, the body and the response GUCs.
 */
export function mainStatement(statement: MainStatement, params: Params): string {
  const { plan, call } = statement;
  const shape = call?.shape ?? tableShape;
  const source = call === null ? readQuery(plan, params) : callQuery(call, params);
  const pageCount = shape.scalar || shape.singleComposite ? "1" : "pg_catalog.count(_postgrest_t)";
  // Only table reads answer count=planned (from EXPLAIN afterwards); a call counts nothing then.
  const count = call !== null && statement.count === "planned" ? null : statement.count;
  const counted = countParts(count, plan, statement.maxRows, statement.topLevel, pageCount, params);
  const rows = call === null ? "SELECT * FROM pgrst_source" : readQuery(plan, params);
  return `WITH pgrst_source AS ( ${source} ) ${counted.cte} SELECT ${counted.total} AS total_result_set, ${pageCount} AS page_total, ${
    bodySql(statement.handler, shape)
  } AS body, ${responseGucs} FROM ( ${rows} ) _postgrest_t`;
}

/** EXPLAIN of the count query, whose planner estimate answers count=planned/estimated. */
export function explainCount(plan: ReadPlan, params: Params): string {
  return `EXPLAIN (FORMAT JSON) ${countQuery(plan, params)}`;
}
