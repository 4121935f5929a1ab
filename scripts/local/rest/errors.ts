// The one place that turns a failure into an HTTP answer, in PostgREST's shape: a JSON body with
// code, message, details and hint, a Proxy-Status header naming the code, and the status PostgREST
// gives that code (for database errors: its SQLSTATE-to-HTTP table).
import { showString } from "./parsec.ts";

export interface ApiError {
  status: number;
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
  headers?: Record<string, string>;
}

/** Thrown anywhere in request handling; answered by `errorResponse`. */
export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

export function fail(
  status: number,
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
  headers?: Record<string, string>,
): never {
  throw new ApiFailure({ status, code, message, details, hint, headers });
}

/**
 * PostgREST's "Feature not implemented" (PGRST127), used for everything the local stand-in does
 * not do, with details naming the feature, so nothing outside the subset answers wrongly.
 */
export function notImplemented(feature: string): never {
  fail(
    400,
    "PGRST127",
    "Feature not implemented",
    `${feature} (not supported by the local Data API stand-in; hosted Supabase supports it)`,
  );
}

export function errorBody(error: ApiError): string {
  return JSON.stringify({
    code: error.code,
    details: error.details,
    hint: error.hint,
    message: error.message,
  });
}

export function errorResponse(
  error: ApiError,
  extraHeaders: Record<string, string> = {},
): Response {
  return new Response(errorBody(error), {
    status: error.status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "proxy-status": `PostgREST; error=${error.code}`,
      ...error.headers,
      ...extraHeaders,
    },
  });
}

/** A JWT problem: 401 with the WWW-Authenticate challenge PostgREST sends. */
export function jwtError(code: string, message: string, details: string | null = null): never {
  fail(401, code, message, details, null, {
    "www-authenticate": `Bearer error="invalid_token", error_description=${showString(message)}`,
  });
}

interface PgErrorFields {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** PostgREST's status for a SQLSTATE; `authenticated` is whether the role is not anon. */
export function statusForSqlState(code: string, message: string, authenticated: boolean): number {
  const starts = (prefix: string) => code.startsWith(prefix);
  if (starts("08")) return 503;
  if (starts("09")) return 500;
  if (starts("0L") || starts("0P")) return 403;
  if (code === "23503" || code === "23505") return 409;
  if (code === "25006") return 405;
  if (code === "21000") return message.endsWith("requires a WHERE clause") ? 400 : 500;
  if (code === "22023") {
    return message.startsWith("role") && message.endsWith("does not exist") ? 401 : 400;
  }
  if (starts("25")) return 500;
  if (starts("28")) return 403;
  if (starts("2D") || starts("38") || starts("39") || starts("3B") || starts("40")) return 500;
  if (code === "53400") return 500;
  if (starts("53")) return 503;
  if (starts("54") || starts("55")) return 500;
  if (code === "57P01") return 503;
  if (starts("57") || starts("58") || starts("F0") || starts("HV")) return 500;
  if (code === "P0001") return 400;
  if (starts("P0") || starts("XX")) return 500;
  if (code === "42883") return message.startsWith("function xmlagg(") ? 406 : 404;
  if (code === "42P01") return 404;
  if (code === "42P17") return 500;
  if (code === "42501") return authenticated ? 403 : 401;
  if (starts("PT")) {
    const status = Number(code.slice(2));
    return Number.isInteger(status) && status >= 100 && status <= 999 ? status : 500;
  }
  return 400;
}

/** A database error as PostgREST answers it. */
export function databaseError(error: PgErrorFields, authenticated: boolean): ApiError {
  if (error.code === "PGRST") return raisedPgrstError(error);
  const status = statusForSqlState(error.code, error.message, authenticated);
  return {
    status,
    code: error.code,
    message: error.message,
    details: error.detail ?? null,
    hint: error.hint ?? null,
    headers: status === 401 ? { "www-authenticate": "Bearer" } : undefined,
  };
}

/**
 * `raise sqlstate 'PGRST' using message = '{"code":..,"message":..}', detail =
 * '{"status":..,"headers":{..}}'`: the function decides the whole answer.
 */
function raisedPgrstError(error: PgErrorFields): ApiError {
  const parseError = (details: string, hint: string): ApiError => ({
    status: 500,
    code: "PGRST121",
    message: `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`,
    details,
    hint,
  });
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(error.message);
    if (typeof body?.code !== "string" || typeof body?.message !== "string") throw new Error();
  } catch {
    return parseError(
      `Invalid JSON value for MESSAGE: '${error.message}'`,
      "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    );
  }
  if (error.detail === undefined) {
    return parseError(
      "DETAIL is missing in the RAISE statement",
      "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.",
    );
  }
  let response: { status?: unknown; headers?: unknown };
  try {
    response = JSON.parse(error.detail);
    if (typeof response?.status !== "number" || typeof response.headers !== "object") {
      throw new Error();
    }
  } catch {
    return parseError(
      `Invalid JSON value for DETAIL: '${error.detail}'`,
      "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.",
    );
  }
  return {
    status: response.status as number,
    code: body.code as string,
    message: body.message as string,
    details: typeof body.details === "string" ? body.details : null,
    hint: typeof body.hint === "string" ? body.hint : null,
    headers: Object.fromEntries(
      Object.entries(response.headers as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    ),
  };
}
