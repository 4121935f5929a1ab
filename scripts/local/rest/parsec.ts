// A small parser-combinator library with Parsec's semantics (consumed/empty replies, error merging
// by position, `try`, `<?>` labels, and its error rendering), because PostgREST parses query
// strings with Parsec and clients see its messages verbatim: "(line 1, column 4)" and "unexpected
// "x" expecting ...". Reproducing the semantics is what makes our PGRST100 answers match.

export interface Position {
  line: number;
  column: number;
}

/** Parsec's message kinds, in the order it sorts them when rendering. */
const enum Kind {
  SysUnExpect = 0,
  UnExpect = 1,
  Expect = 2,
}

interface Message {
  kind: Kind;
  text: string;
}

export interface ParseError {
  pos: Position;
  messages: Message[];
}

interface State {
  chars: string[];
  index: number;
  pos: Position;
}

type Reply<T> =
  | { ok: true; consumed: boolean; value: T; state: State; error: ParseError }
  | { ok: false; consumed: boolean; error: ParseError };

export type Parser<T> = (state: State) => Reply<T>;

function comparePos(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.column - b.column;
}

function unknownError(pos: Position): ParseError {
  return { pos, messages: [] };
}

function mergeErrors(a: ParseError, b: ParseError): ParseError {
  if (b.messages.length === 0 && a.messages.length > 0) return a;
  if (a.messages.length === 0 && b.messages.length > 0) return b;
  const order = comparePos(a.pos, b.pos);
  if (order === 0) return { pos: a.pos, messages: [...a.messages, ...b.messages] };
  return order > 0 ? a : b;
}

function withExpect(error: ParseError, label: string): ParseError {
  return {
    pos: error.pos,
    messages: [
      { kind: Kind.Expect, text: label },
      ...error.messages.filter((m) => m.kind !== Kind.Expect),
    ],
  };
}

function advance(pos: Position, char: string): Position {
  if (char === "\n") return { line: pos.line + 1, column: 1 };
  if (char === "\t") return { line: pos.line, column: pos.column + 8 - ((pos.column - 1) % 8) };
  return { line: pos.line, column: pos.column + 1 };
}

// ---- Haskell's `show` for strings and characters, which Parsec uses in its messages ----

const asciiNames = [
  "NUL",
  "SOH",
  "STX",
  "ETX",
  "EOT",
  "ENQ",
  "ACK",
  "a",
  "b",
  "t",
  "n",
  "v",
  "f",
  "r",
  "SO",
  "SI",
  "DLE",
  "DC1",
  "DC2",
  "DC3",
  "DC4",
  "NAK",
  "SYN",
  "ETB",
  "CAN",
  "EM",
  "SUB",
  "ESC",
  "FS",
  "GS",
  "RS",
  "US",
]; // deno-fmt-ignore

function showCharBody(char: string, next: string | undefined, quote: string): string {
  const code = char.codePointAt(0)!;
  if (char === quote) return `\\${quote}`;
  if (char === "\\") return "\\\\";
  if (code >= 32 && code < 127) return char;
  if (code === 127) return "\\DEL";
  if (code < 32) {
    const name = asciiNames[code];
    // "\SO" followed by "H" would read as "\SOH": Haskell separates them with "\&".
    return `\\${name}${name === "SO" && next === "H" ? "\\&" : ""}`;
  }
  return `\\${code}${next !== undefined && /[0-9]/.test(next) ? "\\&" : ""}`;
}

/** Haskell's `show` of a String: "ab\"c". */
export function showString(text: string): string {
  const chars = [...text];
  return `"${chars.map((c, i) => showCharBody(c, chars[i + 1], '"')).join("")}"`;
}

/** Haskell's `show` of a Char: 'a'. */
function showChar(char: string): string {
  return `'${showCharBody(char, undefined, "'")}'`;
}

// ---- primitives ----

export function satisfy(test: (char: string) => boolean): Parser<string> {
  return (state) => {
    const char = state.chars[state.index];
    if (char === undefined) {
      return {
        ok: false,
        consumed: false,
        error: { pos: state.pos, messages: [{ kind: Kind.SysUnExpect, text: "" }] },
      };
    }
    if (!test(char)) {
      return {
        ok: false,
        consumed: false,
        error: { pos: state.pos, messages: [{ kind: Kind.SysUnExpect, text: showString(char) }] },
      };
    }
    const pos = advance(state.pos, char);
    return {
      ok: true,
      consumed: true,
      value: char,
      state: { chars: state.chars, index: state.index + 1, pos },
      error: unknownError(pos),
    };
  };
}

export const anyChar = satisfy(() => true);
export const char = (c: string) => label(satisfy((x) => x === c), showString(c));
export const oneOf = (set: string) => satisfy((x) => set.includes(x));
export const noneOf = (set: string) => satisfy((x) => !set.includes(x));
export const letter = label(satisfy((x) => /^\p{L}$/u.test(x)), "letter");
export const digit = label(satisfy((x) => x >= "0" && x <= "9"), "digit");

/** Parsec's `string`: all or nothing for the error position, but consumed once one char matched. */
export function string(text: string): Parser<string> {
  const expected = [...text];
  return (state) => {
    let pos = state.pos;
    for (let i = 0; i < expected.length; i++) {
      const char = state.chars[state.index + i];
      if (char !== expected[i]) {
        return {
          ok: false,
          consumed: i > 0,
          error: {
            pos: state.pos,
            messages: [
              { kind: Kind.Expect, text: showString(text) },
              { kind: Kind.SysUnExpect, text: char === undefined ? "" : showString(char) },
            ],
          },
        };
      }
      pos = advance(pos, char);
    }
    if (expected.length === 0) {
      return { ok: true, consumed: false, value: text, state, error: unknownError(state.pos) };
    }
    return {
      ok: true,
      consumed: true,
      value: text,
      state: { chars: state.chars, index: state.index + expected.length, pos },
      error: unknownError(pos),
    };
  };
}

export function pure<T>(value: T): Parser<T> {
  return (state) => ({ ok: true, consumed: false, value, state, error: unknownError(state.pos) });
}

/** Parsec's `mzero`/`guard False`: fails without a message. */
export function zero<T>(): Parser<T> {
  return (state) => ({ ok: false, consumed: false, error: unknownError(state.pos) });
}

/** Parsec's `unexpected`. */
function unexpected<T>(text: string): Parser<T> {
  return (state) => ({
    ok: false,
    consumed: false,
    error: { pos: state.pos, messages: [{ kind: Kind.UnExpect, text }] },
  });
}

// ---- combinators ----

class Abort {
  constructor(readonly reply: Reply<never>) {}
}

/**
 * Sequences parsers like Haskell's do-notation over Parsec: `run(p)` returns p's value or aborts
 * the block with p's failure, and errors of empty steps merge as Parsec's bind merges them.
 */
export function seq<T>(body: (run: <U>(parser: Parser<U>) => U) => T): Parser<T> {
  return (initial) => {
    let state = initial;
    let consumed = false;
    let error = unknownError(initial.pos);
    const run = <U>(parser: Parser<U>): U => {
      const reply = parser(state);
      const merged = reply.consumed || error.messages.length === 0
        ? reply.error
        : mergeErrors(error, reply.error);
      consumed ||= reply.consumed;
      if (!reply.ok) throw new Abort({ ok: false, consumed, error: merged });
      state = reply.state;
      error = merged;
      return reply.value;
    };
    try {
      const value = body(run);
      return { ok: true, consumed, value, state, error };
    } catch (abort) {
      if (abort instanceof Abort) return abort.reply;
      throw abort;
    }
  };
}

export function map<T, U>(parser: Parser<T>, f: (value: T) => U): Parser<U> {
  return (state) => {
    const reply = parser(state);
    return reply.ok ? { ...reply, value: f(reply.value) } : reply;
  };
}

/** `p <|> q <|> ...` */
export function alt<T>(...parsers: Parser<T>[]): Parser<T> {
  return (state) => {
    let error: ParseError | null = null;
    for (const parser of parsers) {
      const reply = parser(state);
      if (reply.consumed) return reply;
      const merged: ParseError = error ? mergeErrors(error, reply.error) : reply.error;
      if (reply.ok) return { ...reply, error: merged };
      error = merged;
    }
    return { ok: false, consumed: false, error: error ?? unknownError(state.pos) };
  };
}

export function attempt<T>(parser: Parser<T>): Parser<T> {
  return (state) => {
    const reply = parser(state);
    return !reply.ok && reply.consumed ? { ...reply, consumed: false } : reply;
  };
}

/** `p <?> name` */
export function label<T>(parser: Parser<T>, name: string): Parser<T> {
  return (state) => {
    const reply = parser(state);
    if (reply.consumed) return reply;
    if (reply.ok && reply.error.messages.length === 0) return reply;
    return { ...reply, error: withExpect(reply.error, name) };
  };
}

export function many<T>(parser: Parser<T>): Parser<T[]> {
  return (initial) => {
    const values: T[] = [];
    let state = initial;
    let consumed = false;
    for (;;) {
      const reply = parser(state);
      if (!reply.ok) {
        if (reply.consumed) return { ok: false, consumed: true, error: reply.error };
        return { ok: true, consumed, value: values, state, error: reply.error };
      }
      if (!reply.consumed) throw new Error("many: the parser accepts an empty string");
      consumed = true;
      values.push(reply.value);
      state = reply.state;
    }
  };
}

export const many1 = <T>(parser: Parser<T>): Parser<T[]> =>
  seq((run) => [run(parser), ...run(many(parser))]);

export const sepBy1 = <T>(parser: Parser<T>, separator: Parser<unknown>): Parser<T[]> =>
  seq((run) => [run(parser), ...run(many(seq((r) => (r(separator), r(parser)))))]);

export const sepBy = <T>(parser: Parser<T>, separator: Parser<unknown>): Parser<T[]> =>
  alt(sepBy1(parser, separator), pure<T[]>([]));

export const option = <T>(fallback: T, parser: Parser<T>): Parser<T> => alt(parser, pure(fallback));

export const optionMaybe = <T>(parser: Parser<T>): Parser<T | null> =>
  option<T | null>(null, parser);

export const between = <T>(open: Parser<unknown>, close: Parser<unknown>, parser: Parser<T>) =>
  seq((run) => {
    run(open);
    const value = run(parser);
    run(close);
    return value;
  });

export function lookAhead<T>(parser: Parser<T>): Parser<T> {
  return (state) => {
    const reply = parser(state);
    if (!reply.ok) return reply;
    return { ok: true, consumed: false, value: reply.value, state, error: unknownError(state.pos) };
  };
}

/** Parsec's `anyToken`: like anyChar, but the position does not move. */
const anyToken: Parser<string> = (state) => {
  const reply = anyChar(state);
  return reply.ok ? { ...reply, state: { ...reply.state, pos: state.pos } } : reply;
};

export function notFollowedBy(parser: Parser<string>): Parser<null> {
  return attempt(alt(
    seq((run) => {
      const c = run(attempt(parser));
      return run(unexpected<null>(showChar(c)));
    }),
    pure(null),
  ));
}

export const eof: Parser<null> = label(notFollowedBy(anyToken), "end of input");

// ---- running and rendering ----

function renderMessages(messages: Message[]): string {
  if (messages.length === 0) return "unknown parse error";
  const sorted = [...messages].sort((a, b) => a.kind - b.kind);
  const texts = (kind: Kind) => sorted.filter((m) => m.kind === kind).map((m) => m.text);
  const clean = (list: string[]) => [...new Set(list.filter((text) => text.length > 0))];
  const commasOr = (list: string[]) =>
    list.length <= 1 ? list.join("") : `${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;
  const showMany = (prefix: string, list: string[]) => {
    const cleaned = clean(list);
    return cleaned.length === 0 ? "" : `${prefix} ${commasOr(cleaned)}`;
  };
  const sysUnExpect = texts(Kind.SysUnExpect);
  const unExpect = texts(Kind.UnExpect);
  const showSysUnExpect = unExpect.length > 0 || sysUnExpect.length === 0
    ? ""
    : sysUnExpect[0] === ""
    ? "unexpected end of input"
    : `unexpected ${sysUnExpect[0]}`;
  return clean([
    showSysUnExpect,
    showMany("unexpected", unExpect),
    showMany("expecting", texts(Kind.Expect)),
  ]).map((line) => `\n${line}`).join("");
}

export interface ParseFailure {
  /** `"<source name>" (line L, column C)`, as PostgREST puts it in `message`. */
  message: string;
  /** Parsec's rendered messages on one line, as PostgREST puts them in `details`. */
  details: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; failure: ParseFailure };

/**
 * Input nested deeper than this process's stack allows (several hundred levels of parentheses):
 * Parsec in Haskell would go on, so this is a limit of the stand-in, not a parse error.
 */
export class NestingTooDeep extends Error {
  constructor(readonly sourceName: string) {
    super(`${sourceName}: nested too deeply`);
  }
}

/** Runs a parser over the whole input (without requiring its end, like Parsec's `parse`). */
export function parse<T>(parser: Parser<T>, sourceName: string, input: string): ParseResult<T> {
  let reply: Reply<T>;
  try {
    reply = parser({ chars: [...input], index: 0, pos: { line: 1, column: 1 } });
  } catch (error) {
    if (error instanceof RangeError) throw new NestingTooDeep(sourceName);
    throw error;
  }
  if (reply.ok) return { ok: true, value: reply.value };
  const where = `(line ${reply.error.pos.line}, column ${reply.error.pos.column})`;
  return {
    ok: false,
    failure: {
      message: sourceName ? `"${sourceName}" ${where}` : where,
      details: renderMessages(reply.error.messages).replaceAll("\n", " ").trim(),
    },
  };
}
