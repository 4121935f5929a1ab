// From parsed query parameters to what the statement reads, with PostgREST's checks in its order:
// embed paths must name an embedded resource, embedding itself is outside this stand-in,
// aggregates are off (as on hosted), and max_rows caps the page.
import { fail, notImplemented } from "./errors.ts";
import type { AtPath, LogicTree, QueryParams, SelectItem } from "./query-params.ts";
import { keepLimitZero, type Range, restrictRange } from "./range.ts";
import type { MediaType, Preferences } from "./request.ts";
import type { BodyHandler, ReadPlan, Source } from "./sql.ts";

function notEmbedded(name: string): never {
  fail(
    400,
    "PGRST108",
    `'${name}' is not an embedded resource in this request`,
    null,
    `Verify that '${name}' is included in the 'select' query parameter.`,
  );
}

/** Embed paths (`rel.col=...`, `rel.order=...`) must name an embedded resource of the select. */
function checkEmbedPaths(paths: string[][], select: SelectItem[]) {
  for (const path of paths) {
    let level = select;
    for (const target of path) {
      const node = level.find((item) =>
        item.kind !== "field" && (item.name === target || item.alias === target)
      );
      if (!node || node.kind === "field") notEmbedded(target);
      level = node.children;
    }
  }
}

// PostgREST folds each list from its end, so the last offending parameter is the one reported.
const pathsOf = <T>(entries: AtPath<T>[]) => entries.map((entry) => entry.path).reverse();

export function planRead(
  source: Source,
  query: QueryParams,
  top: Range,
  maxRows: number | null,
): ReadPlan {
  checkEmbedPaths(pathsOf(query.filters), query.select);
  checkEmbedPaths(pathsOf(query.order), query.select);
  checkEmbedPaths(
    [...query.ranges.keys()].map((key) => key.split(".").slice(0, -1)),
    query.select,
  );
  checkEmbedPaths(pathsOf(query.logic), query.select);
  const embedded = query.select.find((item) => item.kind !== "field");
  if (embedded) {
    const spread = embedded.kind === "spread" ? "..." : "";
    notImplemented(`Resource embedding ('${spread}${embedded.name}(...)' in select)`);
  }
  const order = query.order.find((entry) => entry.path.length === 0)?.value ?? [];
  const related = order.find((term) => term.relation !== null);
  if (related) notEmbedded(related.relation!);
  const select = query.select.filter((item) => item.kind === "field");
  if (select.some((item) => item.aggregate !== null)) {
    fail(400, "PGRST123", "Use of aggregate functions is not allowed");
  }
  const logic = query.logic.filter((entry) => entry.path.length === 0).map((entry) => entry.value);
  const filters = query.filters.filter((entry) => entry.path.length === 0)
    .map((entry): LogicTree => ({ kind: "filter", filter: entry.value }));
  return {
    source,
    select,
    where: [...logic, ...filters],
    order,
    range: keepLimitZero(top, restrictRange(maxRows, top)),
  };
}

export function handlerFor(media: MediaType, head: boolean): BodyHandler {
  if (head) return "none";
  switch (media.kind) {
    case "object":
      return media.stripped ? "object-stripped" : "object";
    case "json-stripped":
      return "json-stripped";
    case "csv":
      return "csv";
    default:
      return "json";
  }
}

export function checkStrictPreferences(prefs: Preferences) {
  if (prefs.invalid.length > 0 && prefs.handling === "strict") {
    fail(
      400,
      "PGRST122",
      "Invalid preferences given with handling=strict",
      `Invalid preferences: ${prefs.invalid.join(", ")}`,
    );
  }
}
