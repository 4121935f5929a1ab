// Text that PostgreSQL's jsonb accepts, for every path that hands Bison's data to the database.

/**
 * JSON that PostgreSQL's jsonb accepts. JavaScript accepts "\u0000" and lone surrogates, jsonb
 * refuses both: such a body (a NUL in mangled mail is common) would fail on every retry and never
 * be stored (a webhook, a replayed reply, a mailbox name). Only then is it rebuilt, without NULs
 * and with lone surrogates replaced.
 */
export function storableJson(text: string): string {
  if (!/\\u0000|\\ud[89a-f]/i.test(text)) return text;
  return JSON.stringify(
    JSON.parse(
      text,
      (_key, value) =>
        typeof value === "string" ? value.replaceAll("\u0000", "").toWellFormed() : value,
    ),
  );
}
