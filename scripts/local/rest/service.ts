// The local stand-in for hosted Supabase's Data API (/rest/v1: the API gateway's key check, then
// PostgREST) for what a dashboard's read model needs: reads of tables and views with select,
// filters, and/or trees, order, limit/offset and Range, counts, single objects, HEAD, and function
// calls under /rpc. Each request runs in one transaction as the JWT's role with the request.*
// settings PostgREST sets, so grants and RLS decide exactly as on hosted. Anything else gets
// PostgREST's "Feature not implemented" naming the feature, never a silently different answer.
import postgres from "postgres";
import { join } from "node:path";
import type { ApiService } from "../gateway.ts";
import type { ApiServiceContext } from "../api-services.ts";
import { repoRoot, watchedToml } from "../config.ts";
import { authenticate, type Caller } from "./auth.ts";
import { ApiFailure, databaseError, errorResponse, fail, notImplemented } from "./errors.ts";
import { closestName } from "./fuzzy.ts";
import { NestingTooDeep } from "./parsec.ts";
import { parseQueryParams, QueryParamError, type QueryParams, splitQuery } from "./query-params.ts";
import type { Range } from "./range.ts";
import {
  acceptedMediaTypes,
  type MediaType,
  negotiate,
  pathSegments,
  preferenceApplied,
  type Preferences,
  preferencesOf,
  resourceOf,
  schemaOf,
  topLevelRange,
} from "./request.ts";
import { allowResponse, corsHeaders, type MainResult, rowsResponse } from "./response.ts";
import { checkStrictPreferences, handlerFor, planRead } from "./plan.ts";
import {
  argumentNames,
  findRoutine,
  planCall,
  readPayload,
  resultAlias,
  returnsVoid,
} from "./routines.ts";
import { lookUpRelation, lookUpRoutines, type RoleSettings, tableNames } from "./schema.ts";
import {
  type CallPlan,
  explainCount,
  ident,
  mainStatement,
  Params,
  qualified,
  type ReadPlan,
} from "./sql.ts";

export const dataApiPrefix = "/rest/v1";

/** Longer request URLs are refused (414) before anything is parsed. */
const maxUrlBytes = 16 * 1024;

interface ApiConfig {
  schemas: string[];
  extraSearchPath: string[];
  maxRows: number | null;
}

interface ConfigToml {
  api?: { schemas?: string[]; extra_search_path?: string[]; max_rows?: number };
}

const connectionFailures = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "CONNECT_TIMEOUT"]);

/**
 * A database failure as PostgREST answers it: PostgreSQL's error with its status, or 503 when the
 * database cannot be reached. Anything else is a fault of this stand-in and stays as it is.
 */
function asApiFailure(error: unknown, authenticated: boolean): unknown {
  if (error instanceof ApiFailure) return error;
  if (error instanceof postgres.PostgresError) {
    return new ApiFailure(databaseError(error, authenticated));
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string") return error;
  const message = (error as Error).message;
  return new ApiFailure(
    connectionFailures.has(code)
      ? {
        status: 503,
        code: "PGRST000",
        message: "Database connection error.",
        details: message,
        hint: null,
      }
      : {
        status: 503,
        code: "PGRST001",
        message: "Database client error. Retrying the connection.",
        details: message,
        hint: null,
      },
  );
}

/** JSON with object keys sorted, as PostgREST (aeson) encodes claims and headers. */
function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v !== null && typeof v === "object"
      ? Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      )
      : v;
  return JSON.stringify(sort(value));
}

function cookiesOf(headers: Headers): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) cookies[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return cookies;
}

const isolationLevels = new Set(["read committed", "repeatable read", "serializable"]);

interface RequestContext {
  method: string;
  /** The path as PostgREST sees it (after the gateway's /rest/v1). */
  rawPath: string;
  headers: Headers;
  caller: Caller;
  schema: string;
  /** Echoed as Content-Profile when the schema was negotiated. */
  profile: string | null;
  config: ApiConfig;
  prefs: Preferences;
  query: QueryParams;
  topLevel: Range;
}

/** The settings PostgREST applies at the start of every request's transaction, in its order. */
function transactionSettings(
  request: RequestContext,
  role: RoleSettings,
  functionSettings: [string, string][],
): { text: string; values: string[] } {
  const params = new Params();
  const set = (name: string, value: string) => `set_config(${name}, ${params.add(value)}, true)`;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    if (key !== "cookie") headers[key] = value;
  });
  const calls = [
    set("'search_path'", [request.schema, ...request.config.extraSearchPath].map(ident).join(", ")),
    ...role.settings.map(([key, value]) => set(params.add(key), value)),
    set("'role'", request.caller.role),
    set("'request.jwt.claims'", sortedJson(request.caller.claims)),
    set("'request.method'", request.method),
    set("'request.path'", request.rawPath),
    set("'request.headers'", sortedJson(headers)),
    set("'request.cookies'", sortedJson(cookiesOf(request.headers))),
    ...(request.prefs.timezone === null ? [] : [set("'timezone'", request.prefs.timezone)]),
    ...functionSettings.map(([key, value]) => set(params.add(key), value)),
  ];
  return { text: `select ${calls.join(", ")}`, values: params.values };
}

const asText = (value: unknown) => String(value);

interface Execution {
  plan: ReadPlan;
  call: CallPlan | null;
  media: MediaType;
  role: RoleSettings;
  readOnly: boolean;
  isolation: string | null;
  functionSettings: [string, string][];
  /** Table reads only: the resource and its canonical query. */
  contentLocation: string | null;
  /** A function returning void answers 204. */
  noContent: boolean;
}

export function createDataApi(
  context: ApiServiceContext,
  configPath = join(repoRoot, "supabase", "config.toml"),
): ApiService {
  // The one connection pool of the Data API (as PostgREST's to its authenticator login).
  const sql = postgres(context.databaseUrlAs("authenticator"), {
    max: 8,
    prepare: false,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: "local data api" },
    // Values travel as text exactly as the request gave them, whatever type PostgreSQL infers
    // for a parameter (postgres.js would otherwise JSON-encode strings bound to json, turn "true"
    // bound to boolean into false, and so on). Array types are not fetched for the same reason.
    fetch_types: false,
    types: {
      jsonText: { to: 114, from: [114, 3802], serialize: asText, parse: JSON.parse },
      booleanText: { to: 16, from: [16], serialize: asText, parse: (x: string) => x === "t" },
      dateText: { to: 1184, from: [1082, 1114, 1184], serialize: asText, parse: asText },
      byteaText: { to: 17, from: [17], serialize: asText, parse: asText },
    },
  });
  const config = watchedToml<ConfigToml>(configPath);
  const apiConfig = (): ApiConfig => {
    const api = config().api ?? {};
    return {
      schemas: api.schemas ?? ["public"],
      extraSearchPath: api.extra_search_path ?? ["public"],
      maxRows: typeof api.max_rows === "number" ? api.max_rows : null,
    };
  };

  /** One transaction: the settings, the main statement, PostgREST's checks on its result. */
  async function execute(request: RequestContext, run: Execution): Promise<MainResult> {
    const head = request.method === "HEAD";
    const isolation = [run.isolation, run.role.isolationLevel, "read committed"]
      .find((level) => level !== null && isolationLevels.has(level))!;
    const settings = transactionSettings(request, run.role, run.functionSettings);
    const { count, handling, maxAffected } = request.prefs;
    return await sql.begin(
      `isolation level ${isolation} ${run.readOnly ? "read only" : "read write"}`,
      async (tx) => {
        await tx.unsafe(settings.text, settings.values);
        const params = new Params();
        const statement = mainStatement({
          plan: run.plan,
          call: run.call,
          count,
          maxRows: request.config.maxRows,
          topLevel: request.topLevel,
          handler: handlerFor(run.media, head),
        }, params);
        const [row] = await tx.unsafe(statement, params.values);
        const result: MainResult = {
          pageTotal: Number(row?.page_total ?? 0),
          total: row?.total_result_set == null ? null : Number(row.total_result_set),
          body: row?.body ?? "",
          responseHeaders: row?.response_headers ?? null,
          responseStatus: row?.response_status ?? null,
        };
        if (run.media.kind === "object" && result.pageTotal !== 1) {
          fail(
            406,
            "PGRST116",
            "Cannot coerce the result to a single JSON object",
            `The result contains ${result.pageTotal} rows`,
          );
        }
        if (run.call !== null) {
          if (maxAffected !== null && handling === "strict" && result.pageTotal > maxAffected) {
            fail(
              400,
              "PGRST124",
              "Query result exceeds max-affected preference constraint",
              `The query affects ${result.pageTotal} rows`,
            );
          }
        } else if (count === "planned" || count === "estimated") {
          const explain = new Params();
          const [plan] = await tx.unsafe(explainCount(run.plan, explain), explain.values);
          const estimate = Number(plan["QUERY PLAN"][0].Plan["Plan Rows"]);
          const maxRows = request.config.maxRows;
          if (count === "planned") result.total = estimate;
          else if (result.total !== null && (maxRows === null || result.total > maxRows)) {
            result.total = Math.max(result.total, estimate);
          }
        }
        return result;
      },
    ) as MainResult;
  }

  async function answer(request: RequestContext, run: Execution): Promise<Response> {
    const result = await execute(request, run);
    return rowsResponse({
      result,
      media: run.media,
      topLevel: request.topLevel,
      head: request.method === "HEAD",
      profile: request.profile,
      preferenceApplied: preferenceApplied(request.prefs, run.call !== null),
      contentLocation: run.contentLocation,
      noContent: run.noContent,
    });
  }

  async function readRelation(request: RequestContext, name: string): Promise<Response> {
    const { relation, role } = await lookUpRelation(sql, request.schema, name, request.caller.role);
    if (!relation) {
      const similar = closestName(await tableNames(sql, request.schema), name, 0.75);
      fail(
        404,
        "PGRST205",
        `Could not find the table '${request.schema}.${name}' in the schema cache`,
        null,
        similar === null ? null : `Perhaps you meant the table '${request.schema}.${similar}'`,
      );
    }
    if (request.method === "OPTIONS") {
      const can = (bit: number) => (relation.updatable & bit) === bit;
      const allowed = ["OPTIONS,GET,HEAD"];
      if (can(8)) allowed.push("POST");
      if (can(8) && can(4) && relation.hasPrimaryKey) allowed.push("PUT");
      if (can(4)) allowed.push("PATCH");
      if (can(16)) allowed.push("DELETE");
      return allowResponse(allowed.join(","));
    }
    const table = qualified(request.schema, name);
    const columns = new Map(relation.columns.map((column) => [column.name, column]));
    const plan = planRead(
      { from: table, qualifier: table, columns },
      request.query,
      request.topLevel,
      request.config.maxRows,
    );
    const media = negotiate(acceptedMediaTypes(request.headers.get("accept")));
    checkStrictPreferences(request.prefs);
    const canonical = request.query.canonical;
    return await answer(request, {
      plan,
      call: null,
      media,
      role,
      readOnly: true,
      isolation: null,
      functionSettings: [],
      contentLocation: `/${name}${canonical === "" ? "" : `?${canonical}`}`,
      noContent: false,
    });
  }

  async function callRoutine(
    request: RequestContext,
    httpRequest: Request,
    name: string,
  ): Promise<Response> {
    const isPost = request.method === "POST";
    const payload = isPost ? await readPayload(httpRequest, request.query.columns) : null;
    const keys = argumentNames(request.query, payload);
    const { routines, role } = await lookUpRoutines(sql, request.schema, name, request.caller.role);
    const routine = await findRoutine(sql, request.schema, name, routines, keys, payload);
    if (request.method === "OPTIONS") {
      return allowResponse(routine.volatility === "v" ? "OPTIONS,POST" : "OPTIONS,GET,HEAD,POST");
    }
    const alias = resultAlias(routine);
    const plan = planRead(
      {
        from: `${ident("pgrst_source")} AS ${ident(alias)}`,
        qualifier: ident(alias),
        columns: new Map(routine.returnColumns.map((column) => [column.name, column])),
      },
      request.query,
      request.topLevel,
      request.config.maxRows,
    );
    const media = negotiate(acceptedMediaTypes(request.headers.get("accept")));
    checkStrictPreferences(request.prefs);
    const { maxAffected, handling } = request.prefs;
    if (maxAffected !== null && handling === "strict" && !routine.returnsSet) {
      fail(
        400,
        "PGRST128",
        "Function must return SETOF or TABLE when max-affected preference is used with handling=strict",
      );
    }
    return await answer(request, {
      plan,
      call: planCall(routine, keys, request.query, payload, plan),
      media,
      role,
      // Only a POST may write, and only to a volatile function, as PostgREST decides.
      readOnly: !isPost || routine.volatility !== "v",
      isolation: routine.isolationLevel,
      functionSettings: routine.settings,
      contentLocation: null,
      noContent: returnsVoid(routine),
    });
  }

  async function respond(httpRequest: Request, url: URL): Promise<Response> {
    const rawPath = url.pathname.slice(dataApiPrefix.length) || "/";
    const rawQuery = splitQuery(url.search);
    // The gateway has checked the API key; PostgREST never sees it as a filter.
    const queryApiKey = rawQuery.find(([key]) => key === "apikey")?.[1] ?? null;
    const caller = await authenticate(httpRequest.headers, queryApiKey, context.checkToken);
    try {
      return await answerFor(httpRequest, rawPath, rawQuery, caller);
    } catch (error) {
      throw asApiFailure(error, caller.role !== "anon");
    }
  }

  async function answerFor(
    httpRequest: Request,
    rawPath: string,
    rawQuery: [string, string | null][],
    caller: Caller,
  ): Promise<Response> {
    const config = apiConfig();
    const method = httpRequest.method.toUpperCase();
    const resource = resourceOf(pathSegments(rawPath));
    const { schema, negotiated } = schemaOf(httpRequest.headers, method, config.schemas);

    if (resource.kind === "root") {
      if (method === "OPTIONS") return allowResponse("OPTIONS,GET,HEAD");
      if (method !== "GET" && method !== "HEAD") {
        fail(405, "PGRST117", `Unsupported HTTP method: ${method}`);
      }
      notImplemented("The OpenAPI description of the API (GET /rest/v1/)");
    }
    const reads = ["GET", "HEAD", "OPTIONS"];
    if (resource.kind === "relation" && !reads.includes(method)) {
      if (["POST", "PUT", "PATCH", "DELETE"].includes(method)) {
        notImplemented(`Writes (${method} on a table or view: insert, upsert, update and delete)`);
      }
      fail(405, "PGRST117", `Unsupported HTTP method: ${method}`);
    }
    if (resource.kind === "routine" && ![...reads, "POST"].includes(method)) {
      fail(405, "PGRST101", `Cannot use the ${method} method on RPC`);
    }

    let query: QueryParams;
    try {
      const isRpcRead = resource.kind === "routine" && (method === "GET" || method === "HEAD");
      query = parseQueryParams(rawQuery.filter(([key]) => key !== "apikey"), isRpcRead);
    } catch (error) {
      if (error instanceof QueryParamError) {
        fail(400, "PGRST100", error.failure.message, error.failure.details);
      }
      if (error instanceof NestingTooDeep) {
        notImplemented(`Query parameters nested several hundred levels deep (${error.sourceName})`);
      }
      throw error;
    }
    const request: RequestContext = {
      method,
      rawPath,
      headers: httpRequest.headers,
      caller,
      schema,
      profile: negotiated ? schema : null,
      config,
      prefs: preferencesOf(httpRequest.headers),
      query,
      topLevel: topLevelRange(method, query.ranges, httpRequest.headers.get("range")),
    };
    return resource.kind === "relation"
      ? await readRelation(request, resource.name)
      : await callRoutine(request, httpRequest, resource.name);
  }

  return {
    prefix: dataApiPrefix,
    async handle(httpRequest) {
      const url = new URL(httpRequest.url);
      const cors = corsHeaders(httpRequest);
      if (cors.preflight) return cors.preflight;
      let response: Response;
      try {
        if (new TextEncoder().encode(url.pathname + url.search).length > maxUrlBytes) {
          fail(414, "PGRST100", `Request URL longer than ${maxUrlBytes} bytes`);
        }
        response = await respond(httpRequest, url);
      } catch (error) {
        if (error instanceof ApiFailure) response = errorResponse(error.error);
        else {
          context.log(`[rest] ${httpRequest.method} ${url.pathname}: ${(error as Error).stack}`);
          response = errorResponse({
            status: 500,
            code: "PGRSTX00",
            message: "The local Data API failed on this request",
            details: (error as Error).message,
            hint: null,
          });
        }
      }
      cors.headers.forEach((value, key) => response.headers.set(key, value));
      return response;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
