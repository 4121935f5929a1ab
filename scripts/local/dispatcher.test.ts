// The dispatcher against the test stack's database and a local HTTP server: it performs what
// net.http_* queued once committed, and records status, headers, body, timeouts and errors in
// net._http_response as pg_net does.
import assert from "node:assert/strict";
import {
  connect,
  eventually,
  startTestDispatcher,
} from "../../supabase/functions/tests/_support/stack.ts";

interface Seen {
  method: string;
  url: URL;
  headers: Headers;
  text: string;
}

async function withTarget(
  body: (
    context: { sql: ReturnType<typeof connect>; target: string; seen: Seen[] },
  ) => Promise<void>,
) {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (request) => {
      const text = await request.text();
      const url = new URL(request.url);
      seen.push({ method: request.method, url, headers: new Headers(request.headers), text });
      if (url.pathname === "/slow") await new Promise((resolve) => setTimeout(resolve, 3000));
      return new Response(`hello ${text}`, {
        status: 201,
        headers: { "x-test": "yes", "content-type": "text/plain" },
      });
    },
  );
  const sql = connect();
  const dispatcher = startTestDispatcher();
  try {
    await body({ sql, target: `http://127.0.0.1:${server.addr.port}`, seen });
  } finally {
    await dispatcher.stop();
    await sql.end();
    await server.shutdown();
  }
}

const responseFor = (sql: ReturnType<typeof connect>, id: string) =>
  eventually(`the response to request ${id}`, async () => {
    const [row] = await sql`select * from net._http_response where id = ${id}`;
    return row;
  });

Deno.test("a committed http_post is performed and its status, headers and body recorded", async () => {
  await withTarget(async ({ sql, target, seen }) => {
    const [{ id }] = await sql`
      select net.http_post(${`${target}/echo`}, '{"a": 1}'::jsonb, '{"q": "x y"}'::jsonb,
                           '{"X-Custom": "1"}'::jsonb) as id`;
    const response = await responseFor(sql, id);
    assert.deepEqual(response.status_code, 201);
    assert.deepEqual(response.headers["x-test"], "yes");
    assert.deepEqual(response.content_type, "text/plain");
    assert.deepEqual(response.content, 'hello {"a": 1}');
    assert.deepEqual(response.timed_out, false);
    const request = seen.at(-1)!;
    assert.deepEqual(request.method, "POST");
    assert.deepEqual(request.url.searchParams.get("q"), "x y");
    assert.deepEqual(request.headers.get("x-custom"), "1");
    assert.deepEqual(request.headers.get("content-type"), "application/json");
  });
});

Deno.test("a request queued in an open transaction is not seen until it commits", async () => {
  await withTarget(async ({ sql, target, seen }) => {
    let id = "";
    await sql.begin(async (tx) => {
      [{ id }] = await tx`select net.http_get(${`${target}/later`}) as id`;
      await new Promise((resolve) => setTimeout(resolve, 400));
      const [{ queued }] = await tx`
        select count(*)::int as queued from net.http_request_queue where id = ${id}`;
      assert.deepEqual(queued, 1, "still queued while uncommitted");
      assert.deepEqual(seen.length, 0);
    });
    const response = await responseFor(sql, id);
    assert.deepEqual(response.status_code, 201);
  });
});

Deno.test("timeout_milliseconds is honoured and recorded as timed_out", async () => {
  await withTarget(async ({ sql, target }) => {
    const [{ id }] = await sql`
      select net.http_get(${`${target}/slow`}, timeout_milliseconds := 300) as id`;
    const response = await responseFor(sql, id);
    assert.deepEqual(response.timed_out, true);
    assert.deepEqual(response.status_code, null);
    assert.match(response.error_msg, /Timeout of 300 ms/);
  });
});

Deno.test("an unreachable host is recorded as an error, not lost", async () => {
  await withTarget(async ({ sql }) => {
    const [{ id }] = await sql`select net.http_delete('http://127.0.0.1:9/nothing') as id`;
    const response = await responseFor(sql, id);
    assert.deepEqual(response.status_code, null);
    assert.deepEqual(response.timed_out, false);
    assert(response.error_msg && response.error_msg.length > 0);
  });
});
