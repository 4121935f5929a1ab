// The HTTP answer to a successful read or call, with PostgREST's headers: Content-Range and the
// status it implies, Content-Type and Content-Profile, Preference-Applied, what the query set in
// response.headers/response.status, Vary, and CORS for browsers.
import { errorBody, fail } from "./errors.ts";
import { contentRange, type Range, rangeOffset } from "./range.ts";
import { type MediaType, mimeOf } from "./request.ts";

const corsExposed = [
  "Content-Encoding",
  "Content-Location",
  "Content-Range",
  "Content-Type",
  "Date",
  "Location",
  "Server",
  "Transfer-Encoding",
  "Range-Unit",
].join(", ");

/** PostgREST's CORS policy: any origin; preflights allow the requested headers. */
export function corsHeaders(request: Request): { preflight: Response | null; headers: Headers } {
  const headers = new Headers();
  if (!request.headers.has("origin")) return { preflight: null, headers };
  headers.set("access-control-allow-origin", "*");
  if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
    const requested = (request.headers.get("access-control-request-headers") ?? "").split(",")
      .map((header) => header.trim()).filter(Boolean);
    headers.set("access-control-allow-methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS");
    headers.set("access-control-allow-headers", ["Authorization", ...requested].join(", "));
    headers.set("access-control-max-age", "86400");
    return { preflight: new Response(null, { status: 200, headers }), headers };
  }
  headers.set("access-control-expose-headers", corsExposed);
  return { preflight: null, headers };
}

/** The one row of PostgREST's main statement. */
export interface MainResult {
  pageTotal: number;
  total: number | null;
  body: string;
  responseHeaders: string | null;
  responseStatus: string | null;
}

/** Applies response.headers / response.status set during the request, as PostgREST does. */
function applyResponseGucs(status: number, headers: Headers, result: MainResult): number {
  if (result.responseHeaders !== null) {
    let extra: unknown;
    try {
      extra = JSON.parse(result.responseHeaders);
    } catch { /* reported below */ }
    const valid = Array.isArray(extra) &&
      extra.every((entry) =>
        entry !== null && typeof entry === "object" && Object.keys(entry).length === 1 &&
        typeof Object.values(entry)[0] === "string"
      );
    if (!valid) {
      fail(
        500,
        "PGRST111",
        "response.headers guc must be a JSON array composed of objects with a single key and a string value",
      );
    }
    for (const entry of extra as Record<string, string>[]) {
      const [[key, value]] = Object.entries(entry);
      if (!headers.has(key)) headers.set(key, value);
    }
  }
  if (result.responseStatus !== null) {
    const match = result.responseStatus.match(/^\d+/);
    if (!match) fail(500, "PGRST112", "response.status guc must be a valid status code");
    return Number(match[0]);
  }
  return status;
}

export interface RowsAnswer {
  result: MainResult;
  media: MediaType;
  topLevel: Range;
  head: boolean;
  /** The schema, when it was chosen by profile negotiation (echoed as Content-Profile). */
  profile: string | null;
  preferenceApplied: string | null;
  /** Table reads only: the resource and its canonical query. */
  contentLocation: string | null;
  /** A function returning void answers 204 without a body. */
  noContent: boolean;
}

export function rowsResponse(answer: RowsAnswer): Response {
  const { result } = answer;
  const range = contentRange(answer.topLevel, result.pageTotal, result.total);
  const headers = new Headers({ "content-range": range.header });
  if (answer.contentLocation !== null) headers.set("content-location", answer.contentLocation);
  if (!answer.noContent) {
    headers.set("content-type", `${mimeOf(answer.media)}; charset=utf-8`);
    if (answer.profile !== null) headers.set("content-profile", answer.profile);
  }
  if (answer.preferenceApplied !== null) {
    headers.set("preference-applied", answer.preferenceApplied);
  }
  const status = applyResponseGucs(answer.noContent ? 204 : range.status, headers, result);
  if (!headers.has("vary")) headers.set("vary", "Accept, Prefer, Range");
  let body: string | null = answer.head || status === 204 ? null : result.body;
  if (range.status === 416 && !answer.noContent) {
    body = errorBody({
      status: 416,
      code: "PGRST103",
      message: "Requested range not satisfiable",
      details: `An offset of ${rangeOffset(answer.topLevel)} was requested, but there are only ${
        result.total ?? 0
      } rows.`,
      hint: null,
    });
  }
  return new Response(body, { status, headers });
}

/** OPTIONS on a resource: which methods it allows. */
export function allowResponse(allow: string): Response {
  return new Response(null, {
    status: 200,
    headers: { allow, "access-control-allow-origin": "*" },
  });
}
