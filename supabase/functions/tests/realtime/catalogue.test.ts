// The broadcast catalogue (private.realtime_broadcasts) names the functions' source files that send
// broadcasts from TypeScript: every such file is named, and every file named exists and sends
// them (pgTAP checks the SQL senders; the poll tests check the sync payloads).
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { repoRoot } from "../../../../scripts/local/config.ts";
import { connect, functionsDir } from "../_support/stack.ts";

/** Every TypeScript file of the deployed functions (tests and fixtures left out). */
function functionSources(dir = functionsDir): string[] {
  return [...Deno.readDirSync(dir)].flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory) return entry.name === "tests" ? [] : functionSources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

Deno.test("every function source that sends broadcasts is a catalogued sender, and back", async () => {
  const sql = connect();
  const catalogued = new Set(
    (await sql`select distinct unnest(sent_by) as sender from private.realtime_broadcasts`)
      .map((row) => row.sender as string)
      .filter((sender) => !sender.includes("(")),
  );
  const sending = functionSources()
    .filter((path) =>
      /\brealtime\s*\.\s*(send|broadcast_changes)\s*\(/.test(Deno.readTextFileSync(path))
    )
    .map((path) => relative(repoRoot, path));
  assert.deepEqual(sending.filter((path) => !catalogued.has(path)), [], "uncatalogued senders");
  for (const sender of catalogued) {
    assert.ok(functionSources().map((path) => relative(repoRoot, path)).includes(sender), sender);
  }
  await sql.end();
});

Deno.test("each catalogued event sent from TypeScript is named in its senders' sources", async () => {
  const sql = connect();
  const rows = await sql`
    select b.event, array(select s from unnest(b.sent_by) s where s not like '%(%') as files
    from private.realtime_broadcasts b
    where exists (select 1 from unnest(b.sent_by) s where s not like '%(%')`;
  for (const row of rows) {
    const sources = (row.files as string[]).map((file) =>
      Deno.readTextFileSync(join(repoRoot, file))
    )
      .join("\n");
    assert.ok(sources.includes(`"${row.event}"`), `${row.event} is sent by ${row.files}`);
  }
  await sql.end();
});
