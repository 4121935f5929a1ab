// The parts of an HTTP request PostgREST reads before it plans anything: the resource and action
// from path and method, the schema from the profile headers, Prefer, Accept and Range.
import { fail } from "./errors.ts";
import {
  keepLimitZero,
  parseRangeHeader,
  type Range,
  rangeAll,
  rangeIntersect,
  rangeIsEmpty,
} from "./range.ts";

export type Resource =
  | { kind: "root" }
  | { kind: "relation"; name: string }
  | { kind: "routine"; name: string };

export function resourceOf(segments: string[]): Resource {
  if (segments.length === 0) return { kind: "root" };
  if (segments.length === 1) return { kind: "relation", name: segments[0] };
  if (segments.length === 2 && segments[0] === "rpc") return { kind: "routine", name: segments[1] };
  fail(404, "PGRST125", "Invalid path specified in request URL");
}

/** The path as the gateway hands it on (prefix stripped), split and decoded as Wai does. */
export function pathSegments(rawPath: string): string[] {
  const parts = rawPath.split("/").slice(1);
  if (parts.length === 1 && parts[0] === "") return [];
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
}

const contentProfileMethods = new Set(["DELETE", "PATCH", "POST", "PUT"]);

/** The schema a request addresses, and whether it was chosen by profile negotiation. */
export function schemaOf(
  headers: Headers,
  method: string,
  schemas: string[],
): { schema: string; negotiated: boolean } {
  const profile = headers.get(
    contentProfileMethods.has(method) ? "content-profile" : "accept-profile",
  );
  if (profile === null) return { schema: schemas[0], negotiated: schemas.length !== 1 };
  if (!schemas.includes(profile)) {
    fail(
      406,
      "PGRST106",
      `Invalid schema: ${profile}`,
      null,
      `Only the following schemas are exposed: ${schemas.join(", ")}`,
    );
  }
  return { schema: profile, negotiated: true };
}

export interface Preferences {
  count: "exact" | "planned" | "estimated" | null;
  handling: "strict" | "lenient" | null;
  timezone: string | null;
  maxAffected: number | null;
  invalid: string[];
}

const accepted = [
  "resolution=merge-duplicates",
  "resolution=ignore-duplicates",
  "return=representation",
  "return=minimal",
  "return=headers-only",
  "count=exact",
  "count=planned",
  "count=estimated",
  "tx=commit",
  "tx=rollback",
  "missing=default",
  "missing=null",
  "handling=strict",
  "handling=lenient",
];

export function preferencesOf(headers: Headers): Preferences {
  const values = (headers.get("prefer") ?? "").split(",").map((v) => v.trim()).filter((v) =>
    v !== ""
  );
  const first = <T extends string>(prefix: string, options: T[]) =>
    (values.find((v) => options.some((o) => v === `${prefix}=${o}`))?.slice(prefix.length + 1) ??
      null) as T | null;
  const prefixed = (prefix: string) =>
    values.find((v) => v.startsWith(prefix))?.slice(prefix.length) ?? null;
  const maxAffected = prefixed("max-affected=");
  return {
    count: first("count", ["exact", "planned", "estimated"]),
    handling: first("handling", ["strict", "lenient"]),
    timezone: prefixed("timezone="),
    maxAffected: maxAffected !== null && /^\s*-?\d+\s*$/.test(maxAffected)
      ? Number(maxAffected)
      : null,
    invalid: values.filter((v) =>
      !accepted.includes(v) && !v.startsWith("timezone=") && !v.startsWith("max-affected=")
    ),
  };
}

/** Preference-Applied for a read or a call: what was asked for and honoured. */
export function preferenceApplied(prefs: Preferences, isCall: boolean): string | null {
  const applied = [
    prefs.count && `count=${prefs.count}`,
    prefs.handling && `handling=${prefs.handling}`,
    prefs.timezone !== null && `timezone=${prefs.timezone}`,
    isCall && prefs.handling === "strict" && prefs.maxAffected !== null &&
    `max-affected=${prefs.maxAffected}`,
  ].filter(Boolean);
  return applied.length === 0 ? null : applied.join(", ");
}

export type MediaType =
  | { kind: "json" }
  | { kind: "json-stripped" }
  | { kind: "object"; stripped: boolean }
  | { kind: "csv" }
  | { kind: "any" }
  | { kind: "other"; mime: string };

/** PostgREST's decodeMediaType (the kinds this stand-in can tell apart). */
function decodeMediaType(text: string): MediaType {
  const [type, ...rawParams] = text.split(";").map((part) => part.trim());
  const params = new Map(rawParams.map((p) => {
    const at = p.indexOf("=");
    return [p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim().replace(/^"(.*)"$/, "$1")];
  }));
  const stripped = params.get("nulls") === "stripped";
  switch (type.toLowerCase()) {
    case "application/json":
      return { kind: "json" };
    case "text/csv":
      return { kind: "csv" };
    case "application/vnd.pgrst.object+json":
    case "application/vnd.pgrst.object":
      return { kind: "object", stripped };
    case "application/vnd.pgrst.array+json":
    case "application/vnd.pgrst.array":
      return stripped ? { kind: "json-stripped" } : { kind: "json" };
    case "*/*":
      return { kind: "any" };
    default:
      return { kind: "other", mime: text.trim() };
  }
}

export function mimeOf(media: MediaType): string {
  switch (media.kind) {
    case "json":
      return "application/json";
    case "json-stripped":
      return "application/vnd.pgrst.array+json;nulls=stripped";
    case "object":
      return `application/vnd.pgrst.object+json${media.stripped ? ";nulls=stripped" : ""}`;
    case "csv":
      return "text/csv";
    case "any":
      return "*/*";
    case "other":
      return media.mime;
  }
}

/** The Accept header's media types, highest quality first (wai's parseHttpAccept). */
export function acceptedMediaTypes(accept: string | null): MediaType[] {
  if (accept === null) return [{ kind: "any" }];
  const entries = accept.split(",").map((entry, index) => {
    const parts = entry.split(";").map((p) => p.trim());
    const q = parts.find((p) => /^q=/i.test(p));
    const quality = q === undefined ? 1 : Number(q.slice(2)) || 0;
    return { text: parts.filter((p) => !/^q=/i.test(p)).join(";"), quality, index };
  }).filter((entry) => entry.text !== "");
  entries.sort((a, b) => b.quality - a.quality || a.index - b.index);
  return entries.map((entry) => decodeMediaType(entry.text));
}

/** The first accepted media type this stand-in produces, else PostgREST's 406. */
export function negotiate(accepts: MediaType[]): MediaType {
  for (const media of accepts) {
    if (media.kind === "any") return { kind: "json" };
    if (media.kind !== "other") return media;
  }
  fail(
    406,
    "PGRST107",
    `None of these media types are available: ${accepts.map(mimeOf).join(", ")}`,
  );
}

/**
 * The top-level rows asked for: limit/offset intersected with the Range header (GET only), with
 * PostgREST's 416 for an empty range other than limit=0.
 */
export function topLevelRange(
  method: string,
  ranges: Map<string, Range>,
  rangeHeader: string | null,
) {
  const headerRange = method === "GET" ? parseRangeHeader(rangeHeader) : rangeAll;
  const limitRange = ranges.get("limit") ?? rangeAll;
  const top = keepLimitZero(limitRange, rangeIntersect(headerRange, limitRange));
  if (rangeIsEmpty(top) && limitRange.upper !== -1) {
    fail(
      416,
      "PGRST103",
      "Requested range not satisfiable",
      rangeIsEmpty(headerRange)
        ? "The lower boundary must be lower than or equal to the upper boundary in the Range header."
        : "Limit should be greater than or equal to zero.",
    );
  }
  return top;
}
