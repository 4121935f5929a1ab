// Calling a function under /rpc as PostgREST does: arguments by name from the JSON (or form) body
// of a POST or the query string of a GET, the overload chosen by those names, PGRST202/203 with
// its hints otherwise, and the call plan that passes each argument as a typed parameter.
import type postgres from "postgres";
import { fail, notImplemented } from "./errors.ts";
import { closestName } from "./fuzzy.ts";
import { type LogicTree, type QueryParams, splitQuery } from "./query-params.ts";
import { type Routine, routineNames } from "./schema.ts";
import { type CallArguments, type CallPlan, qualified, type ReadPlan } from "./sql.ts";

/** Larger RPC bodies are refused (413). */
const maxBodyBytes = 8 * 1024 * 1024;

/** The request body of a POST to /rpc: its argument names and how to pass them. */
export type Payload =
  | { kind: "json"; body: string; isArray: boolean; keys: Set<string> }
  | { kind: "form"; args: [string, string][]; keys: Set<string> }
  | { kind: "raw" };

const objectKeys = (value: unknown) =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? Object.keys(value).sort().join("\0")
    : null;

export async function readPayload(request: Request, columns: string[] | null): Promise<Payload> {
  const contentType = (request.headers.get("content-type") ?? "application/json").split(";")[0]
    .trim().toLowerCase();
  const tooLarge = () => fail(413, "PGRST102", `Request body larger than ${maxBodyBytes} bytes`);
  if (Number(request.headers.get("content-length") ?? "0") > maxBodyBytes) tooLarge();
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > maxBodyBytes) tooLarge();
  const text = new TextDecoder().decode(bytes);

  if (contentType === "application/json") {
    if (columns !== null) {
      const isArray = text.trimStart().startsWith("[");
      return { kind: "json", body: text, isArray, keys: new Set(columns) };
    }
    let value: unknown = {};
    if (text.length > 0) {
      try {
        value = JSON.parse(text);
      } catch {
        fail(400, "PGRST102", "Empty or invalid json");
      }
    }
    if (Array.isArray(value)) {
      if (value.length === 0) return { kind: "json", body: "[]", isArray: true, keys: new Set() };
      const first = objectKeys(value[0]);
      if (first === null || value.some((entry) => objectKeys(entry) !== first)) {
        fail(400, "PGRST102", "All object keys must match");
      }
      return { kind: "json", body: text, isArray: true, keys: new Set(Object.keys(value[0])) };
    }
    if (objectKeys(value) !== null) {
      const body = text.length > 0 ? text : "{}";
      return { kind: "json", body, isArray: false, keys: new Set(Object.keys(value as object)) };
    }
    // Any other JSON value counts as an empty array, as in PostgREST.
    return { kind: "json", body: "[]", isArray: true, keys: new Set() };
  }
  if (contentType === "application/x-www-form-urlencoded") {
    const args = splitQuery(text).map(([k, v]): [string, string] => [k, v ?? ""]);
    return { kind: "form", args, keys: new Set(args.map(([k]) => k)) };
  }
  if (["text/plain", "text/xml", "application/octet-stream"].includes(contentType)) {
    return { kind: "raw" };
  }
  fail(400, "PGRST102", `Content-Type not acceptable: ${contentType}`);
}

/** The argument names a call gives: query parameters on GET, body keys on POST. */
export function argumentNames(query: QueryParams, payload: Payload | null): Set<string> {
  if (payload === null) return new Set(query.rpcArgs.map(([key]) => key));
  return payload.kind === "raw" ? new Set() : payload.keys;
}

/** PostgREST's choice among a function's overloads by the argument names given. */
function matchRoutine(
  routines: Routine[],
  keys: Set<string>,
  isPost: boolean,
  rawBody: boolean,
): Routine | { ambiguous: Routine[] } | null {
  const matches = (routine: Routine) => {
    if (routine.params.length === 0) return keys.size === 0 && !(isPost && rawBody);
    const required = routine.params.filter((p) => p.required).map((p) => p.name);
    const optional = new Set(routine.params.filter((p) => !p.required).map((p) => p.name));
    const givenRequired = [...keys].filter((key) => !optional.has(key));
    return givenRequired.length === required.length && required.every((name) => keys.has(name));
  };
  const matched = routines.filter(matches);
  if (matched.length === 1) return matched[0];
  if (matched.length > 1) return { ambiguous: matched };
  const singleUnnamed = routines.filter((r) =>
    isPost && r.params.length === 1 && r.params[0].name === ""
  );
  if (singleUnnamed.length > 1) return { ambiguous: singleUnnamed };
  if (singleUnnamed.length === 1) {
    notImplemented("Calling a function with a single unnamed parameter");
  }
  return null;
}

async function routineNotFound(
  sql: postgres.Sql,
  schema: string,
  name: string,
  keys: Set<string>,
  overloads: Routine[],
  isPost: boolean,
  rawBody: boolean,
): Promise<never> {
  const sortedKeys = [...keys].sort();
  const func = `${schema}.${name}`;
  const listed = sortedKeys.length === 0 ? " without parameters" : `(${sortedKeys.join(", ")})`;
  const withParams = sortedKeys.length === 0
    ? " without parameters"
    : ` with parameter${sortedKeys.length > 1 ? "s" : ""} ${sortedKeys.join(", ")}`;
  const searched = isPost && !rawBody
    ? `${withParams} or with a single unnamed json/jsonb parameter`
    : withParams;
  let hint: string | null = null;
  if (!(isPost && rawBody)) {
    const paramList = (names: string[]) => `(${[...names].sort().join(", ")})`;
    let suggestion: string | null;
    if (overloads.length === 0) {
      suggestion = closestName(await routineNames(sql, schema), name, 0.75);
    } else {
      const params = closestName(
        overloads.map((r) => paramList(r.params.map((p) => p.name))),
        paramList(sortedKeys),
        0.33,
      );
      suggestion = params === null ? null : name + params;
    }
    if (suggestion !== null) {
      hint = `Perhaps you meant to call the function ${schema}.${suggestion}`;
    }
  }
  fail(
    404,
    "PGRST202",
    `Could not find the function ${func}${isPost && rawBody ? "" : listed} in the schema cache`,
    `Searched for the function ${func}${searched}, but no matches were found in the schema cache.`,
    hint,
  );
}

/** The overload a call addresses, or PostgREST's PGRST202/PGRST203. */
export async function findRoutine(
  sql: postgres.Sql,
  schema: string,
  name: string,
  routines: Routine[],
  keys: Set<string>,
  payload: Payload | null,
): Promise<Routine> {
  const isPost = payload !== null;
  const rawBody = payload?.kind === "raw";
  const found = matchRoutine(routines, keys, isPost, rawBody);
  if (found === null) {
    return await routineNotFound(sql, schema, name, keys, routines, isPost, rawBody);
  }
  if ("ambiguous" in found) {
    const candidates = found.ambiguous.map((r) =>
      `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(", ")})`
    );
    fail(
      300,
      "PGRST203",
      `Could not choose the best candidate function between: ${candidates.join(", ")}`,
      null,
      "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    );
  }
  if (found.params.length === 1 && found.params[0].name === "") {
    notImplemented("Calling a function with a single unnamed parameter");
  }
  return found;
}

export const returnShape = (routine: Routine) => ({
  scalar: !routine.returnsSet && !routine.returnsComposite,
  setOfScalar: routine.returnsSet && !routine.returnsComposite,
  singleComposite: !routine.returnsSet && routine.returnsComposite,
});

export const returnsVoid = (routine: Routine) =>
  returnShape(routine).scalar && routine.returnSchema === "pg_catalog" &&
  routine.returnName === "void";

/** The name the result is read under: the returned table's, else the function's. */
export const resultAlias = (routine: Routine) =>
  routine.returnsComposite ? routine.returnName : routine.name;

export function planCall(
  routine: Routine,
  keys: Set<string>,
  query: QueryParams,
  payload: Payload | null,
  plan: ReadPlan,
): CallPlan {
  let args: CallArguments;
  if (payload?.kind === "json") {
    args = { kind: "json", body: payload.body, isArray: payload.isArray };
  } else {
    // A repeated parameter is collected for a variadic argument, else the first one counts.
    const entries = payload?.kind === "form" ? payload.args : query.rpcArgs;
    const values = new Map<string, string | string[]>();
    for (const [key, value] of entries) {
      const variadic = routine.params.find((p) => p.name === key)?.variadic ?? false;
      const previous = values.get(key);
      if (variadic) values.set(key, [...((previous as string[] | undefined) ?? []), value]);
      else if (previous === undefined) values.set(key, value);
    }
    args = { kind: "direct", values };
  }
  // The outer query reads the selected and filtered columns (all of them for "*").
  const selected = new Set(plan.select.map((item) => item.field.name));
  const filtered = new Set<string>();
  const collect = (tree: LogicTree) =>
    tree.kind === "filter" ? filtered.add(tree.filter.field.name) : tree.children.forEach(collect);
  plan.where.forEach(collect);
  const returning = query.select.length === 0
    ? []
    : selected.has("*")
    ? ["*"]
    : [...new Set([...selected, ...filtered])].sort();
  return {
    function: qualified(routine.schema, routine.name),
    params: routine.params.filter((p) => keys.has(p.name)),
    args,
    shape: returnShape(routine),
    returning,
  };
}
