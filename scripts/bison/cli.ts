// What every command of the admin CLI shares: its arguments read strictly (an unknown or
// malformed option is a usage error, never a TypeError), one error type per exit code, and one
// way to talk (progress and human summaries on stderr, tables on stdout, JSON for scripts).
import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * A command's usage laid out after a prefix `prefixLength` characters wide: each `bison ...` form
 * on a line of its own, aligned, and an option line that continues a form aligned under that
 * form's first option. The usage texts themselves carry no indentation.
 */
export function formatUsage(text: string, prefixLength: number): string {
  let optionsColumn = 0;
  return text.split("\n").map((raw, index) => {
    const line = raw.trim();
    if (line.startsWith("bison ")) {
      optionsColumn = Math.max(line.search(/ [-[<]/) + 1, 0);
      return index === 0 ? line : " ".repeat(prefixLength) + line;
    }
    return " ".repeat(prefixLength + optionsColumn) + line;
  }).join("\n");
}

/** Wrong arguments or input (exit 2): nothing was changed. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
  }
}

/** Something failed while doing the work (exit 1): what it says, and what was done. */
export class OperationalError extends Error {
  constructor(message: string, readonly result?: unknown) {
    super(message);
  }
}

export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The options of a command, parsed strictly; --json is accepted by every command. */
export function parseOptions<O extends Options>(
  args: string[],
  options: O,
  usage: string,
  positionals = 0,
) {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, json: { type: "boolean", default: false } },
      strict: true,
      allowPositionals: positionals > 0,
    });
    if (parsed.positionals.length > positionals) {
      throw new UsageError(`unexpected argument: ${parsed.positionals[positionals]}`, usage);
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // node:util reports unknown options and missing values as TypeErrors with a code.
    const message = (error as Error).message.replace(/\. To specify a positional.*$/s, "");
    throw new UsageError(message, usage);
  }
}

export function required(value: string | undefined, option: string, usage: string): string {
  if (value === undefined || value.trim() === "") {
    throw new UsageError(`--${option} is required`, usage);
  }
  return value.trim();
}

/**
 * The first line of stdin. From a terminal it is asked for with a prompt on stderr and not echoed
 * (raw mode); from a pipe it is read as it comes.
 */
async function readSecretLine(prompt: string): Promise<string> {
  const terminal = Deno.stdin.isTerminal();
  if (terminal) {
    await Deno.stderr.write(new TextEncoder().encode(prompt));
    Deno.stdin.setRaw(true);
  }
  const reader = Deno.stdin.readable.getReader();
  const bytes: number[] = [];
  try {
    reading: while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const byte of value) {
        if (byte === 10 || byte === 13 || byte === 4) break reading; // end of line, Ctrl-D
        if (byte === 3) throw new UsageError("interrupted"); // Ctrl-C, raw mode
        if (byte === 127 || byte === 8) bytes.pop(); // backspace
        else bytes.push(byte);
      }
    }
  } finally {
    reader.releaseLock();
    if (terminal) {
      Deno.stdin.setRaw(false);
      await Deno.stderr.write(new TextEncoder().encode("\n"));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * A secret (an API key, a password) kept off the command line, where ps and shell history show
 * it: `-` reads it from stdin (its first line), an absent option takes the environment variable,
 * and a value given as an argument still works, with a warning. Undefined when none is given.
 */
export async function secretOption(
  value: string | undefined,
  option: string,
  envVar: string,
  usage: string,
): Promise<string | undefined> {
  if (value === "-") {
    const line = (await readSecretLine(`${option}: `)).trim();
    if (!line) throw new UsageError(`--${option} -: nothing was read from stdin`, usage);
    return line;
  }
  if (value === undefined) {
    const fromEnv = Deno.env.get(envVar)?.trim();
    return fromEnv ? fromEnv : undefined;
  }
  say(
    `bison: warning: --${option} on the command line is visible in ps and shell history; ` +
      `prefer ${envVar}=... or --${option} - (stdin)`,
  );
  return value;
}

/** A whole positive number given on the command line (an id, a count). */
export function positiveInteger(value: string, option: string, usage: string): number {
  if (!/^\d{1,15}$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`--${option} must be a whole positive number, got "${value}"`, usage);
  }
  return Number(value);
}

// Terminal escape sequences (CSI such as colours and cursor moves, OSC such as titles and links,
// and two-character ones) and the characters that move or hide text: C0 and C1 controls, DEL,
// and the bidirectional overrides that make text display in another order than it is.
// deno-lint-ignore no-control-regex
const escapeSequences = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// deno-lint-ignore no-control-regex
const hidingCharacters = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from Bison or an operator (a workspace or connection name, an error Bison sent) as it may
 * reach a terminal: escape sequences and control characters removed, so a name can neither
 * recolour, move or clear the screen nor pass for another line. keepLines keeps line breaks and
 * tabs (for the CLI's own multi-line messages); otherwise they become spaces.
 */
export function printable(text: unknown, keepLines = false): string {
  const clean = String(text ?? "").replace(escapeSequences, "");
  return (keepLines ? clean : clean.replace(/[\t\n]/g, " ")).replace(hidingCharacters, "");
}

/** Progress and human summaries go to stderr, so stdout stays for results. */
export const say = (line: string) => console.error(printable(line, true));

/** Rows as an aligned text table (for stdout); every cell printable. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => printable(cell)))];
  const widths = headers.map((_, column) =>
    Math.max(...cells.map((row) => row[column]?.length ?? 0))
  );
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}
