// PostgREST's query-string language (select, filters, order, and/or trees, limit/offset),
// written from its documented grammar and checked against its behaviour: the same things parse,
// and what does not gets the same PGRST100 message and details.
import {
  alt,
  anyChar,
  attempt,
  between,
  char,
  digit,
  eof,
  label,
  letter,
  lookAhead,
  many,
  many1,
  map,
  noneOf,
  notFollowedBy,
  oneOf,
  option,
  optionMaybe,
  parse,
  type ParseFailure,
  type Parser,
  pure,
  sepBy,
  sepBy1,
  seq,
  string,
  zero,
} from "./parsec.ts";
import {
  type Range,
  rangeAll,
  rangeAtLeast,
  rangeIntersect,
  rangeLimit,
  rangeOffset,
} from "./range.ts";

export interface JsonStep {
  arrow: "->" | "->>";
  /** A key, or an index such as "+1" / "-2" (PostgREST keeps the sign). */
  key: string;
  isIndex: boolean;
}

export interface Field {
  name: string;
  jsonPath: JsonStep[];
}

export type SelectItem =
  | {
    kind: "field";
    field: Field;
    alias: string | null;
    cast: string | null;
    aggregate: string | null;
    aggregateCast: string | null;
  }
  | {
    kind: "relation" | "spread";
    name: string;
    alias: string | null;
    hint: string | null;
    joinType: string | null;
    children: SelectItem[];
  };

export type Operation =
  | { kind: "simple"; operator: string; value: string }
  | { kind: "quant"; operator: string; quantifier: "any" | "all" | null; value: string }
  | { kind: "in"; values: string[] }
  | { kind: "is"; value: "null" | "not_null" | "true" | "false" | "unknown" }
  | { kind: "isdistinct"; value: string }
  | { kind: "fts"; operator: string; language: string | null; value: string };

export interface Filter {
  field: Field;
  negated: boolean;
  operation: Operation;
}

export type LogicTree =
  | { kind: "filter"; filter: Filter }
  | { kind: "expr"; negated: boolean; operator: "and" | "or"; children: LogicTree[] };

export interface OrderTerm {
  /** Set for `relation(column)` terms, which order by an embedded resource. */
  relation: string | null;
  field: Field;
  direction: "asc" | "desc" | null;
  nulls: "first" | "last" | null;
}

/** A value for an embedded resource: the path of embed names, then the thing itself. */
export interface AtPath<T> {
  path: string[];
  value: T;
}

export interface QueryParams {
  /** Parameters sorted by name, for Content-Location. */
  canonical: string;
  /** RPC arguments of a GET/HEAD call: parameters whose value is no filter. */
  rpcArgs: [string, string][];
  /** limit/offset per path key ("limit" for the top level, "embed.limit" below). */
  ranges: Map<string, Range>;
  order: AtPath<OrderTerm[]>[];
  logic: AtPath<LogicTree>[];
  select: SelectItem[];
  filters: AtPath<Filter>[];
  columns: string[] | null;
}

export class QueryParamError extends Error {
  constructor(readonly failure: ParseFailure) {
    super(failure.message);
  }
}

// ---- lexical pieces ----

const ws = many(oneOf(" \t"));

function lexeme<T>(parser: Parser<T>): Parser<T> {
  return seq((run) => {
    run(ws);
    const value = run(parser);
    run(ws);
    return value;
  });
}

const delimiter = label(char("."), "delimiter (.)");

const quotedValue: Parser<string> = seq((run) => {
  run(char('"'));
  const chars = run(many(alt(noneOf('\\"'), seq((r) => (r(char("\\")), r(anyChar))))));
  run(char('"'));
  return chars.join("");
});

const identifierChar = alt(letter, digit, oneOf("_ $"));
const identifier = map(many1(identifierChar), (chars) => chars.join("").trim());

/** `a-b-c` where a dash is never the start of an arrow. */
function sepByDash(part: Parser<string>): Parser<string> {
  const dash = map(
    attempt(seq((run) => (run(char("-")), run(notFollowedBy(char(">")))))),
    () => "-",
  );
  return map(sepBy1(part, dash), (parts) => parts.join("-"));
}

const fieldName = label(alt(quotedValue, sepByDash(identifier)), "field name (* or [a..z0..9_$])");

const jsonKeyIdentifier = map(many1(noneOf("(-:.,>)")), (chars) => chars.join("").trim());
const jsonKeyName = label(
  alt(quotedValue, sepByDash(jsonKeyIdentifier)),
  "any non reserved character different from: .,>()",
);

const jsonPath: Parser<JsonStep[]> = many(seq((run) => {
  const arrow = run(alt(
    map(attempt(string("->>")), () => "->>" as const),
    map(attempt(string("->")), () => "->" as const),
  ));
  const end = alt(
    attempt(lookAhead(string("->"))),
    attempt(lookAhead(string("::"))),
    attempt(lookAhead(string("."))),
    attempt(lookAhead(string(","))),
    attempt(eof),
  );
  const index = seq((r) => {
    const sign = r(option("+", char("-")));
    const digits = r(many1(digit));
    r(end);
    return sign + digits.join("");
  });
  return run(alt(
    attempt(map(index, (key): JsonStep => ({ arrow, key, isIndex: true }))),
    attempt(map(jsonKeyName, (key): JsonStep => ({ arrow, key, isIndex: false }))),
  ));
}));

const field: Parser<Field> = lexeme(seq((run) => ({
  name: run(fieldName),
  jsonPath: run(option([], jsonPath)),
})));

const aliasSeparator = seq((run) => (run(char(":")), run(notFollowedBy(char(":")))));
const alias = optionMaybe(attempt(seq((run) => {
  const name = run(fieldName);
  run(aliasSeparator);
  return name;
})));

const castSuffix = optionMaybe(seq((run) => (run(string("::")), run(identifier))));

// ---- select ----

const selectEnd = alt(
  attempt(lookAhead(string(")"))),
  attempt(lookAhead(string(","))),
  attempt(eof),
);

const aggregation = alt(
  string("sum"),
  string("avg"),
  string("count"),
  attempt(string("max")),
  attempt(string("min")),
);

const fieldSelect: Parser<SelectItem> = lexeme(alt(
  attempt(seq((run): SelectItem => {
    run(string("*"));
    run(selectEnd);
    return fieldItem({ name: "*", jsonPath: [] }, null, null, null, null);
  })),
  attempt(seq((run): SelectItem => {
    const name = run(alias);
    run(string("count()"));
    const aggregateCast = run(castSuffix);
    run(selectEnd);
    return fieldItem({ name: "*", jsonPath: [] }, name, null, "count", aggregateCast);
  })),
  seq((run): SelectItem => {
    const name = run(alias);
    const target = run(field);
    const cast = run(castSuffix);
    const aggregate = run(optionMaybe(attempt(seq((r) => {
      r(char("."));
      const fn = r(aggregation);
      r(string("()"));
      return fn;
    }))));
    const aggregateCast = run(castSuffix);
    run(selectEnd);
    return fieldItem(target, name, cast, aggregate, aggregateCast);
  }),
));

function fieldItem(
  target: Field,
  alias: string | null,
  cast: string | null,
  aggregate: string | null,
  aggregateCast: string | null,
): SelectItem {
  return { kind: "field", field: target, alias, cast, aggregate, aggregateCast };
}

type EmbedParam = { join?: string; hint?: string };

const embedParam = seq((run) => {
  run(char("!"));
  return run(alt<EmbedParam>(
    attempt(map(string("left"), (v) => ({ join: v }))),
    attempt(map(string("inner"), (v) => ({ join: v }))),
    attempt(map(fieldName, (v) => ({ hint: v }))),
  ));
});

const embedParams = seq((run) => {
  const first = run(optionMaybe(embedParam));
  const second = run(optionMaybe(embedParam));
  return {
    hint: first?.hint ?? second?.hint ?? null,
    joinType: first?.join ?? second?.join ?? null,
  };
});

const relationSelect = lexeme(seq((run) => {
  const name = run(alias);
  const relation = run(fieldName);
  if (relation === "count") run(zero());
  const params = run(embedParams);
  run(attempt(lookAhead(string("("))));
  return { name: relation, alias: name, ...params };
}));

const spreadSelect = lexeme(seq((run) => {
  run(string("..."));
  const relation = run(fieldName);
  const params = run(embedParams);
  run(attempt(lookAhead(string("("))));
  return { name: relation, alias: null, ...params };
}));

const selectForest: Parser<SelectItem[]> = (state) => sepBy(selectTree, lexeme(char(",")))(state);

const selectTree: Parser<SelectItem> = alt(
  seq((run): SelectItem => {
    const head = run(attempt(spreadSelect));
    return { kind: "spread", ...head, children: run(between(char("("), char(")"), selectForest)) };
  }),
  seq((run): SelectItem => {
    const head = run(attempt(relationSelect));
    return {
      kind: "relation",
      ...head,
      children: run(between(char("("), char(")"), selectForest)),
    };
  }),
  fieldSelect,
);

// ---- filters ----

const ciString = (text: string) =>
  seq((run) => {
    for (const c of text) run(alt(char(c), char(c.toUpperCase())));
    return text;
  });

const simpleOperator = label(
  alt(
    ...["neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"].map((op) => attempt(string(op))),
  ),
  "unknown single value operator",
);

const quantOperator = label(
  alt(
    ...["eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch"].map((op) =>
      attempt(string(op))
    ),
  ),
  "unknown single value operator",
);

const listElement = alt(
  attempt(seq((run) => {
    const value = run(quotedValue);
    run(notFollowedBy(noneOf(",)")));
    return value;
  })),
  map(many(noneOf(",)")), (chars) => chars.join("")),
);

const listValue = seq((run) => {
  run(lexeme(char("(")));
  const values = run(sepBy1(listElement, char(",")));
  run(lexeme(char(")")));
  return values;
});

const isValue = label(
  alt(
    ...(["null", "not_null", "true", "false", "unknown"] as const).map((v) =>
      attempt(map(ciString(v), () => v))
    ),
  ),
  "isVal: (null, not_null, true, false, unknown)",
);

function opExpr(singleValue: Parser<string>): Parser<{ negated: boolean; operation: Operation }> {
  const inOp = seq((run): Operation => {
    run(attempt(seq((r) => (r(string("in")), r(delimiter)))));
    return { kind: "in", values: run(listValue) };
  });
  const isOp = seq((run): Operation => {
    run(attempt(seq((r) => (r(string("is")), r(delimiter)))));
    return { kind: "is", value: run(isValue) };
  });
  const isDistinct = seq((run): Operation => {
    run(attempt(seq((r) => (r(string("isdistinct")), r(delimiter)))));
    return { kind: "isdistinct", value: run(singleValue) };
  });
  const fts = seq((run): Operation => {
    const operator = run(
      alt(...["fts", "plfts", "phfts", "wfts"].map((op) => attempt(string(op)))),
    );
    const language = run(optionMaybe(attempt(between(char("("), char(")"), identifier))));
    run(delimiter);
    return { kind: "fts", operator, language, value: run(singleValue) };
  });
  const simple = seq((run): Operation => {
    const operator = run(simpleOperator);
    run(delimiter);
    return { kind: "simple", operator, value: run(singleValue) };
  });
  const quant = seq((run): Operation => {
    const operator = run(quantOperator);
    const quantifier = run(optionMaybe(attempt(between(
      char("("),
      char(")"),
      alt(
        attempt(map(string("any"), () => "any" as const)),
        map(string("all"), () => "all" as const),
      ),
    ))));
    run(delimiter);
    return { kind: "quant", operator, quantifier, value: run(singleValue) };
  });
  const operation = label(
    alt(inOp, isOp, isDistinct, attempt(fts), attempt(simple), attempt(quant)),
    "operator (eq, gt, ...)",
  );
  return seq((run) => {
    const negated = run(alt(
      attempt(seq((r) => (r(string("not")), r(delimiter), true))),
      pure(false),
    ));
    return { negated, operation: run(operation) };
  });
}

const singleValue = map(many(anyChar), (chars) => chars.join(""));

const logicSingleValue = alt(
  attempt(seq((run) => {
    const value = run(quotedValue);
    run(notFollowedBy(noneOf(",)")));
    return value;
  })),
  attempt(seq((run) => {
    run(string("{"));
    const inner = run(many(noneOf("{}")));
    run(string("}"));
    return `{${inner.join("")}}`;
  })),
  map(many(noneOf(",)")), (chars) => chars.join("")),
);

const logicTree: Parser<LogicTree> = (state) =>
  alt<LogicTree>(
    map(
      attempt(seq((run) => {
        const target = run(field);
        run(delimiter);
        return { field: target, ...run(opExpr(logicSingleValue)) };
      })),
      (filter): LogicTree => ({ kind: "filter", filter }),
    ),
    seq((run): LogicTree => {
      const negated = run(label(
        alt(attempt(seq((r) => (r(string("not")), r(delimiter), true))), pure(false)),
        "negation operator (not)",
      ));
      const operator = run(label(
        alt(
          attempt(map(string("and"), () => "and" as const)),
          map(string("or"), () => "or" as const),
        ),
        "logic operator (and, or)",
      ));
      run(lexeme(char("(")));
      const children = run(sepBy1(logicTree, lexeme(char(","))));
      run(lexeme(char(")")));
      return { kind: "expr", negated, operator, children };
    }),
  )(state);

// ---- order ----

const orderDirection = alt(
  attempt(seq((run) => (run(delimiter), run(string("asc")), "asc" as const))),
  attempt(seq((run) => (run(delimiter), run(string("desc")), "desc" as const))),
);
const orderNulls = alt(
  attempt(seq((run) => (run(delimiter), run(string("nullsfirst")), "first" as const))),
  attempt(seq((run) => (run(delimiter), run(string("nullslast")), "last" as const))),
);
const orderEnd = alt(attempt(lookAhead(char(","))), attempt(eof));
const orderNullsThenEnd = alt(
  seq((run) => {
    const nulls = run(optionMaybe(orderNulls));
    run(orderEnd);
    return nulls;
  }),
  map(orderEnd, () => null),
);

const orderTerms: Parser<OrderTerm[]> = sepBy1(
  lexeme(alt(
    attempt(seq((run): OrderTerm => {
      const relation = run(fieldName);
      const target = run(between(char("("), char(")"), field));
      const direction = run(optionMaybe(orderDirection));
      return { relation, field: target, direction, nulls: run(orderNullsThenEnd) };
    })),
    seq((run): OrderTerm => {
      const target = run(field);
      const direction = run(optionMaybe(orderDirection));
      return { relation: null, field: target, direction, nulls: run(orderNullsThenEnd) };
    }),
  )),
  char(","),
);

// ---- keys ----

const treePath = seq((run) => {
  const names = run(sepBy1(fieldName, delimiter));
  const path = run(option([], jsonPath));
  return { path: names.slice(0, -1), field: { name: names.at(-1)!, jsonPath: path } };
});

const logicPath = map(sepBy1(fieldName, delimiter), (names) => {
  const op = names.at(-1)!;
  const path = names.slice(0, -1);
  return { path: path.filter((n) => n !== "not"), op: path.includes("not") ? `not.${op}` : op };
});

const columnList = sepBy1(fieldName, lexeme(char(",")));

function run<T>(parser: Parser<T>, sourceName: string, input: string): T {
  const result = parse(parser, sourceName, input);
  if (!result.ok) throw new QueryParamError(result.failure);
  return result.value;
}

// ---- the query string ----

/** Decodes one query-string component as HTTP's parseQueryReplacePlus does: "+" is a space. */
function decodeComponent(text: string): string {
  const bytes: number[] = [];
  const raw = new TextEncoder().encode(text.replaceAll("+", " "));
  for (let i = 0; i < raw.length; i++) {
    const hex = raw[i] === 0x25 ? String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0) : "";
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(raw[i]);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Splits a raw query string into (key, value|null) pairs; `a` and `a=` differ, as in PostgREST. */
export function splitQuery(query: string): [string, string | null][] {
  const text = query.startsWith("?") ? query.slice(1) : query;
  if (text === "") return [];
  return text.split(/[&;]/).filter((part) => part !== "").map((part) => {
    const at = part.indexOf("=");
    return at < 0
      ? [decodeComponent(part), null]
      : [decodeComponent(part.slice(0, at)), decodeComponent(part.slice(at + 1))];
  });
}

/**
 * Network.HTTP's urlEncode over the UTF-8 bytes of a component, as PostgREST applies it: ASCII
 * letters, digits and "-_.~" stay, other ASCII bytes become %XX, and a byte of 128 or more is
 * taken for a character of its own and percent-encoded as that character's UTF-8.
 */
function encodeComponent(text: string): string {
  const hex = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (byte < 128) out += hex(byte);
    else out += [...new TextEncoder().encode(c)].map(hex).join("");
  }
  return out;
}

/** Sorted by name; repeated names become one entry with comma-separated values. */
function canonicalQuery(query: [string, string | null][]): string {
  const sorted = [...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const groups: [string, string[]][] = [];
  for (const [key, value] of sorted) {
    const last = groups.at(-1);
    if (last && last[0] === key) last[1].push(value ?? "");
    else groups.push([key, [value ?? ""]]);
  }
  return groups.map(([key, values]) =>
    `${encodeComponent(key)}=${values.map(encodeComponent).join(",")}`
  )
    .join("&");
}

const lastSegment = (key: string) => key.split(".").at(-1)!;
const reserved = ["select", "columns", "on_conflict"];
const reservedEmbeddable = ["order", "limit", "offset", "and", "or"];

/** Haskell's `readMaybe :: Integer`: an optionally negative decimal, spaces around allowed. */
function readInteger(text: string): number | null {
  return /^\s*-?\d+\s*$/.test(text) ? Number(text.trim()) : null;
}

/**
 * Parses a query string the way PostgREST does. `isRpcRead` (GET/HEAD on /rpc/fn) makes a value
 * that is not an operator expression an argument instead of an error.
 */
export function parseQueryParams(
  query: [string, string | null][],
  isRpcRead: boolean,
): QueryParams {
  const params = query.filter((entry): entry is [string, string] => entry[1] !== null);
  const lookup = (name: string) => query.find(([key]) => key === name)?.[1] ?? null;
  const endingIn = (names: string[]) => (key: string) => names.includes(lastSegment(key));

  const order = params.filter(([key]) => endingIn(["order"])(key)).map(([key, value]) => ({
    path: run(treePath, `failed to parse tree path (${key})`, key).path,
    value: run(orderTerms, `failed to parse order (${value})`, value),
  }));

  const logic = params.filter(([key]) => endingIn(["and", "or"])(key)).map(([key, value]) => {
    const { path, op } = run(logicPath, `failed to parse logic path (${key})`, key);
    return { path, value: run(logicTree, `failed to parse logic tree (${value})`, op + value) };
  });

  const columnsText = lookup("columns");
  const columns = columnsText === null
    ? null
    : run(columnList, `failed to parse columns parameter (${columnsText})`, columnsText);

  const selectText = lookup("select") ?? "*";
  const select = run(selectForest, `failed to parse select parameter (${selectText})`, selectText);

  const filters: AtPath<Filter>[] = [];
  const rpcArgs: [string, string][] = [];
  const filterValue = isRpcRead ? alt(opExpr(singleValue), pure(null)) : opExpr(singleValue);
  for (const [key, value] of params) {
    if (endingIn(reservedEmbeddable)(key) || reserved.includes(key)) continue;
    const target = parse(treePath, `failed to parse tree path (${key})`, key);
    const expression = parse(filterValue, `failed to parse filter (${value})`, value);
    if (!target.ok) throw new QueryParamError(target.failure);
    if (!expression.ok) throw new QueryParamError(expression.failure);
    if (expression.value === null) rpcArgs.push([target.value.field.name, value]);
    else {
      filters.push({
        path: target.value.path,
        value: { field: target.value.field, ...expression.value },
      });
    }
  }

  const limits = new Map(
    params.filter(([key]) => endingIn(["limit"])(key)).map(([key, value]) => {
      const limit = readInteger(value);
      return [
        key,
        limit === null
          ? rangeAll
          : rangeIntersect(rangeAll, { lower: -Infinity, upper: limit - 1 }),
      ];
    }),
  );
  const offsets = new Map(
    params.filter(([key]) => endingIn(["offset"])(key)).map(([key, value]) => {
      const offset = readInteger(value);
      return [
        key.split(".").slice(0, -1).concat("limit").join("."),
        offset === null ? rangeAll : rangeAtLeast(offset),
      ];
    }),
  );
  const ranges = new Map(limits);
  for (const [key, offsetRange] of offsets) {
    const limitRange = limits.get(key);
    if (!limitRange) ranges.set(key, offsetRange);
    else {
      const offset = rangeOffset(offsetRange);
      ranges.set(key, { lower: offset, upper: offset + (rangeLimit(limitRange) ?? 0) - 1 });
    }
  }

  const canonical = canonicalQuery(query);

  return { canonical, rpcArgs, ranges, order, logic, select, filters, columns };
}
