// Committed changes, read from the database's write-ahead log through logical decoding, as the
// hosted Realtime reads them through replication. A temporary slot with PostgreSQL's own
// test_decoding plugin is polled: every transaction committed after the slot was created comes out
// exactly once, whole, in commit order, and the slot disappears with its connection.
import type postgres from "postgres";

export interface DecodedColumn {
  name: string;
  /** The type as PostgreSQL names it (format_type). */
  type: string;
  /** The value's text form; null for SQL NULL. */
  value: string | null;
  /** An unchanged TOASTed value the log does not repeat. */
  unchangedToast?: boolean;
}

export interface DecodedChange {
  schema: string;
  table: string;
  action: "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE";
  /** The new row (INSERT, UPDATE). */
  columns: DecodedColumn[];
  /** The replica identity of the old row (UPDATE when it changed or is FULL, DELETE). */
  identity: DecodedColumn[];
}

export interface DecodedTransaction {
  /** Commit time as Realtime prints it: UTC, milliseconds, `Z`. */
  commitTimestamp: string;
  changes: DecodedChange[];
}

export class DecodingError extends Error {}

/** Reads an identifier as quote_identifier writes it. */
function readIdentifier(text: string, start: number): [string, number] {
  if (text[start] === '"') {
    let value = "";
    let i = start + 1;
    while (i < text.length) {
      if (text[i] === '"') {
        if (text[i + 1] === '"') {
          value += '"';
          i += 2;
          continue;
        }
        return [value, i + 1];
      }
      value += text[i++];
    }
    throw new DecodingError("unterminated quoted identifier");
  }
  let end = start;
  while (end < text.length && /[A-Za-z0-9_$]/.test(text[end])) end++;
  if (end === start) throw new DecodingError(`identifier expected at ${start}`);
  return [text.slice(start, end), end];
}

/** Parses test_decoding's `name[type]:value name[type]:value ...`. */
export function parseColumns(text: string): DecodedColumn[] {
  const columns: DecodedColumn[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === " ") {
      i++;
      continue;
    }
    const [name, afterName] = readIdentifier(text, i);
    if (text[afterName] !== "[") throw new DecodingError(`type expected after ${name}`);
    const typeEnd = text.indexOf("]:", afterName);
    if (typeEnd < 0) throw new DecodingError(`unterminated type of ${name}`);
    const type = text.slice(afterName + 1, typeEnd);
    i = typeEnd + 2;
    if (text[i] === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new DecodingError(`unterminated value of ${name}`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      columns.push({ name, type, value });
    } else {
      let end = text.indexOf(" ", i);
      if (end < 0) end = text.length;
      const token = text.slice(i, end);
      i = end;
      if (token === "null") columns.push({ name, type, value: null });
      else if (token === "unchanged-toast-datum") {
        columns.push({ name, type, value: null, unchangedToast: true });
      } else columns.push({ name, type, value: token });
    }
  }
  return columns;
}

/** Parses one `table schema.name: ACTION: ...` line. */
export function parseChange(line: string): DecodedChange {
  const [schema, afterSchema] = readIdentifier(line, "table ".length);
  if (line[afterSchema] !== ".") throw new DecodingError("qualified table name expected");
  const [table, afterTable] = readIdentifier(line, afterSchema + 1);
  const rest = line.slice(afterTable);
  const match = rest.match(/^: (INSERT|UPDATE|DELETE|TRUNCATE):(.*)$/s);
  if (!match) throw new DecodingError(`unknown change: ${line.slice(0, 80)}`);
  const action = match[1] as DecodedChange["action"];
  const data = match[2].trim();
  const change: DecodedChange = { schema, table, action, columns: [], identity: [] };
  if (action === "TRUNCATE" || data === "(no-tuple-data)") return change;
  if (action === "DELETE") {
    change.identity = parseColumns(data);
  } else if (action === "UPDATE" && data.startsWith("old-key: ")) {
    const split = data.indexOf(" new-tuple: ");
    if (split < 0) throw new DecodingError("UPDATE with old-key but no new-tuple");
    change.identity = parseColumns(data.slice("old-key: ".length, split));
    change.columns = parseColumns(data.slice(split + " new-tuple: ".length));
  } else {
    change.columns = parseColumns(data);
  }
  return change;
}

/** `2026-12-01 21:29:00.488826+00` (a UTC session) as `2026-12-01T21:29:00.488Z`. */
export function commitTimestamp(text: string): string {
  const match = text.match(/^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?\+00$/);
  if (!match) throw new DecodingError(`unexpected commit time ${text}`);
  const millis = (match[3] ?? "").padEnd(3, "0").slice(0, 3);
  return `${match[1]}T${match[2]}.${millis}Z`;
}

/** Groups test_decoding output lines into committed transactions. */
export function groupTransactions(lines: string[]): DecodedTransaction[] {
  const transactions: DecodedTransaction[] = [];
  let current: DecodedChange[] | null = null;
  for (const line of lines) {
    if (line === "BEGIN" || line.startsWith("BEGIN ")) {
      current = [];
    } else if (line.startsWith("COMMIT")) {
      const at = line.match(/\(at (.+)\)$/);
      if (!at) throw new DecodingError(`commit without a time: ${line}`);
      transactions.push({ commitTimestamp: commitTimestamp(at[1]), changes: current ?? [] });
      current = null;
    } else if (line.startsWith("table ")) {
      if (!current) throw new DecodingError("change outside a transaction");
      current.push(parseChange(line));
    }
    // Logical decoding messages (`message: ...`) are not changes.
  }
  return transactions;
}

export interface ChangeFeedOptions {
  /** A connection pool of exactly one connection: a temporary slot belongs to its session. */
  sql: postgres.Sql;
  onTransaction: (transaction: DecodedTransaction) => Promise<void> | void;
  log: (line: string) => void;
  /** How often to read the slot while clients listen. */
  pollMs?: number;
  /** How often to read it while nobody listens (the slot must still be drained). */
  idlePollMs?: number;
  busy: () => boolean;
}

const batchChanges = 5000;

export class ChangeFeed {
  #slot = `realtime_local_${Deno.pid}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  #started: Promise<void> | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;

  constructor(private options: ChangeFeedOptions) {}

  /** Creates the slot (once) and starts reading; resolves once later commits will be seen. */
  start(): Promise<void> {
    this.#started ??= this.#createSlot().then(() => {
      this.#loop = this.#run();
    }).catch((error) => {
      this.#started = null;
      throw error;
    });
    return this.#started;
  }

  /** Reads the slot now instead of at the next tick. */
  wake() {
    this.#wake?.();
  }

  async #createSlot() {
    await this.options.sql`
      select pg_catalog.pg_create_logical_replication_slot(${this.#slot}, 'test_decoding', true)`;
  }

  async #run() {
    const { pollMs = 25, idlePollMs = 500 } = this.options;
    while (!this.#stopped) {
      let rows = 0;
      try {
        rows = await this.#readOnce();
      } catch (error) {
        if (this.#stopped) break;
        this.options.log(`realtime: reading changes failed: ${(error as Error).message}`);
        await this.#sleep(1000);
        // A temporary slot dies with its connection: make a new one (what was committed meanwhile
        // is lost, as broadcasts sent while Realtime is disconnected are).
        try {
          await this.#createSlot();
        } catch { /* the slot survived, or the database is still away: retried next round */ }
        continue;
      }
      if (rows < batchChanges) {
        await this.#sleep(this.options.busy() ? pollMs : idlePollMs);
      }
    }
  }

  async #readOnce(): Promise<number> {
    const rows = await this.options.sql<{ data: string }[]>`
      select data from pg_catalog.pg_logical_slot_get_changes(
        ${this.#slot}, null, ${batchChanges},
        'include-xids', '0', 'include-timestamp', '1', 'skip-empty-xacts', '1')`;
    if (rows.length === 0) return 0;
    for (const transaction of groupTransactions(rows.map((row) => row.data))) {
      try {
        await this.options.onTransaction(transaction);
      } catch (error) {
        this.options.log(`realtime: delivering changes failed: ${(error as Error).message}`);
      }
    }
    return rows.length;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async close() {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop?.catch(() => {});
    if (this.#started) {
      await this.options.sql`
        select pg_catalog.pg_drop_replication_slot(slot_name) from pg_catalog.pg_replication_slots
        where slot_name = ${this.#slot}`.catch(() => {});
    }
  }
}
