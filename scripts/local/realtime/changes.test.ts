import assert from "node:assert/strict";
import { DecodingError, groupTransactions, parseChange, parseColumns } from "./changes.ts";

Deno.test("test_decoding columns: quoted, unquoted, null, unchanged TOAST, arrays, odd names", () => {
  assert.deepEqual(
    parseColumns(
      `id[bigint]:5 note[text]:'it''s a [x]:y' "Odd ""Name"""[integer[]]:'{1,2}' ` +
        `gone[text]:null big[text]:unchanged-toast-datum ok[boolean]:true`,
    ),
    [
      { name: "id", type: "bigint", value: "5" },
      { name: "note", type: "text", value: "it's a [x]:y" },
      { name: 'Odd "Name"', type: "integer[]", value: "{1,2}" },
      { name: "gone", type: "text", value: null },
      { name: "big", type: "text", value: null, unchangedToast: true },
      { name: "ok", type: "boolean", value: "true" },
    ],
  );
});

Deno.test("changes: insert, update with and without old key, delete, truncate", () => {
  assert.deepEqual(parseChange("table public.t: INSERT: id[integer]:1"), {
    schema: "public",
    table: "t",
    action: "INSERT",
    columns: [{ name: "id", type: "integer", value: "1" }],
    identity: [],
  });
  const update = parseChange(
    `table public."T x": UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 v[text]:'a'`,
  );
  assert.equal(update.table, "T x");
  assert.deepEqual(update.identity, [{ name: "id", type: "integer", value: "1" }]);
  assert.equal(update.columns.length, 2);
  assert.deepEqual(parseChange("table s.t: DELETE: id[integer]:3").identity, [
    { name: "id", type: "integer", value: "3" },
  ]);
  assert.deepEqual(parseChange("table s.t: DELETE: (no-tuple-data)").identity, []);
  assert.equal(parseChange("table s.t: TRUNCATE: (no-flags)").action, "TRUNCATE");
  assert.throws(() => parseChange("table s.t: MERGE: x"), DecodingError);
});

Deno.test("transactions are grouped with their commit time in Realtime's format", () => {
  const transactions = groupTransactions([
    "BEGIN",
    "table public.t: INSERT: id[integer]:1",
    "table public.t: INSERT: id[integer]:2",
    "COMMIT (at 2026-12-01 21:29:00.488826+00)",
    "BEGIN",
    "message: transactional: 1 prefix: p, sz: 1 content:x",
    "COMMIT (at 2026-12-01 21:29:01+00)",
  ]);
  assert.equal(transactions.length, 2);
  assert.equal(transactions[0].commitTimestamp, "2026-12-01T21:29:00.488Z");
  assert.equal(transactions[0].changes.length, 2);
  assert.equal(transactions[1].commitTimestamp, "2026-12-01T21:29:01.000Z");
  assert.equal(transactions[1].changes.length, 0);
});
