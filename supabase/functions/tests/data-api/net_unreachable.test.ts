// pg_net through the Data API, as a frontend would try it with supabase-js. The platform grants the
// API roles pg_net's schema and the project cannot take that back (net belongs to supabase_admin),
// so what keeps anon and signed-in users from queuing HTTP requests is that the Data API exposes
// neither net nor private, and that no function of the exposed schemas reaches pg_net
// (supabase/tests/database/api_role_privileges.test.sql).
import assert from "node:assert/strict";
import { connect } from "../_support/stack.ts";
import { clientFor, seed, withApi } from "./seed.ts";

const sql = connect();
const seeded = await seed(sql);

Deno.test("anon and signed-in users reach nothing of pg_net through the Data API", async () => {
  const [before] = await sql`select count(*)::int as queued from net.http_request_queue`;
  await withApi(async (url) => {
    for (
      const [who, client] of [
        ["anon", clientFor(url)],
        ["a signed-in member", clientFor(url, seeded.memberToken)],
      ] as const
    ) {
      for (const schema of ["net", "private"]) {
        const read = await client.schema(schema).from("http_request_queue").select();
        assert.equal(read.status, 406, `${who}, schema ${schema}`);
        assert.equal(read.error?.code, "PGRST106", `${who}, schema ${schema}`);
      }
      const queue = await client.schema("net").rpc("http_post", {
        url: "http://127.0.0.1:9/never",
        body: {},
      });
      assert.equal(queue.error?.code, "PGRST106", `${who} cannot call net.http_post`);
      const unqualified = await client.rpc("http_post", { url: "http://127.0.0.1:9/never" });
      assert.equal(unqualified.error?.code, "PGRST202", `${who} finds no http_post in public`);
      const invoke = await client.rpc("invoke_edge_function", { function_path: "x" });
      assert.equal(invoke.error?.code, "PGRST202", `${who} finds no invoke_edge_function`);
    }
  });
  const [after] = await sql`select count(*)::int as queued from net.http_request_queue`;
  assert.equal(after.queued, before.queued, "nothing was queued");
  await sql.end();
});
