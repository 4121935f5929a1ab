// The functions' database access through the test stack's transaction pooler (PgBouncer in
// transaction mode, as Supavisor's transaction mode on hosted): key locks hold across instances
// without session state, lock holders never starve the work of a connection, and a query with a
// deadline is cancelled in time.
import assert from "node:assert/strict";
import postgres from "postgres";
import { connectDatabase, withDeadline, withKeyLock } from "./database.ts";
import { testStack } from "../tests/_support/stack.ts";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fails instead of hanging when `promise` does not settle within ms. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a key lock is held by one instance at a time", async () => {
  const { poolerUrl } = testStack();
  const instances = [connectDatabase("test-a", poolerUrl), connectDatabase("test-b", poolerUrl)];
  const spans: [number, number][] = [];
  try {
    await within(
      20_000,
      "two locked runs",
      Promise.all(instances.map((sql) =>
        withKeyLock(sql, "test-only-shared-key", async () => {
          const started = performance.now();
          await delay(300);
          spans.push([started, performance.now()]);
        })
      )),
    );
    spans.sort((a, b) => a[0] - b[0]);
    assert.equal(spans.length, 2);
    assert.ok(spans[1][0] >= spans[0][1], `the runs overlapped: ${JSON.stringify(spans)}`);
  } finally {
    await Promise.all(instances.map((sql) => sql.end()));
  }
});

Deno.test("work under key locks still gets a connection from a pool of two", async () => {
  const sql = connectDatabase("test-permits", testStack().poolerUrl);
  assert.equal(sql.options.max, 2, "a function instance's pool");
  try {
    const answers = await within(
      20_000,
      "locked runs querying the database",
      Promise.all(
        ["test-only-key-1", "test-only-key-2", "test-only-key-3"].map((key) =>
          withKeyLock(sql, key, async () => {
            const [row] = await sql`select ${key}::text as key`;
            return row.key;
          })
        ),
      ),
    );
    assert.deepEqual(answers, ["test-only-key-1", "test-only-key-2", "test-only-key-3"]);
  } finally {
    await sql.end();
  }
});

Deno.test("a query past its deadline is cancelled through the pooler", async () => {
  const sql = connectDatabase("test-deadline", testStack().poolerUrl);
  try {
    const started = performance.now();
    await assert.rejects(withDeadline(sql`select pg_sleep(5)`, 200), { code: "57014" });
    assert.ok(performance.now() - started < 4000, "the query was not cancelled");
    const [row] = await sql`select 1 as one`;
    assert.equal(row.one, 1, "the connection is usable afterwards");
  } finally {
    await sql.end();
  }
});

Deno.test("the pooler refuses session settings passed at connection time", async () => {
  const sql = postgres(testStack().poolerUrl, {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { statement_timeout: 1000 },
  });
  try {
    await assert.rejects(sql`select 1`, /unsupported startup parameter/);
  } finally {
    await sql.end();
  }
});
