// POST and GET /rest/v1/rpc/<fn> with supabase-js's rpc(): named arguments, the function's own
// privilege checks as the caller, filters/order/select over its rows, counts, and PostgREST's
// answers for a function that does not exist or is called with the wrong arguments.
import assert from "node:assert/strict";
import { connect, testStack } from "../_support/stack.ts";
import { clientFor, seed, serviceClient, withApi } from "./seed.ts";

const sql = connect();
const seeded = await seed(sql);

interface Fact {
  fact_id: string;
  kind: string;
  numbers: Record<string, unknown>;
}

Deno.test("a member calls workspace_insight_facts for their workspace (POST, named args)", async () => {
  await withApi(async (url) => {
    const { data, error, status } = await clientFor(url, seeded.memberToken)
      .rpc("workspace_insight_facts", { workspace_id: seeded.alpha, period_days: 7 });
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(status, 200);
    const facts = data as Fact[];
    const period = facts.find((fact) => fact.fact_id === "period");
    assert.equal(period?.numbers.workspace_name, "Alpha Agency");
    assert.equal(period?.numbers.period_days, 7);
    assert.ok(facts.length > 1, `${facts.length} facts`);
  });
});

Deno.test("filters, order, select and count apply to the function's rows; GET for stable functions", async () => {
  await withApi(async (url) => {
    const client = clientFor(url, seeded.memberToken);
    const selected = await client
      .rpc("workspace_insight_facts", { workspace_id: seeded.alpha }, { count: "exact" })
      .select("fact_id, kind").eq("fact_id", "period");
    assert.equal(selected.error, null, JSON.stringify(selected.error));
    assert.deepEqual(selected.data, [{ fact_id: "period", kind: "period" }]);
    assert.equal(selected.count, 1);

    const viaGet = await client.rpc("workspace_insight_facts", {
      workspace_id: seeded.alpha,
      period_days: 3,
    }, { get: true }).select("numbers->>period_days, numbers->scope").eq("fact_id", "period")
      .single();
    assert.equal(viaGet.error, null, JSON.stringify(viaGet.error));
    assert.deepEqual(viaGet.data, { period_days: "3", scope: "workspace" });

    const ordered = await client.rpc("workspace_insight_facts", { workspace_id: seeded.alpha })
      .select("fact_id").order("fact_id", { ascending: false }).limit(2);
    const all = await client.rpc("workspace_insight_facts", { workspace_id: seeded.alpha })
      .select("fact_id");
    const expected = (all.data as Fact[]).map((f) => f.fact_id).sort().reverse().slice(0, 2);
    assert.deepEqual((ordered.data as Fact[]).map((f) => f.fact_id), expected);

    const head = await client.rpc("workspace_insight_facts", { workspace_id: seeded.alpha }, {
      head: true,
      count: "exact",
    });
    assert.equal(head.data, null);
    assert.equal(head.count, (all.data as Fact[]).length);
  });
});

Deno.test("the function's own checks run as the caller: outsider 403, anon 401, bad input 400", async () => {
  await withApi(async (url) => {
    const outsider = await clientFor(url, seeded.outsiderToken)
      .rpc("workspace_insight_facts", { workspace_id: seeded.alpha });
    assert.equal(outsider.status, 403);
    assert.equal(outsider.error?.code, "42501");
    assert.equal(
      outsider.error?.message,
      `workspace ${seeded.alpha} does not exist or is not visible to the caller`,
    );

    const anon = await clientFor(url).rpc("workspace_insight_facts", {
      workspace_id: seeded.alpha,
    });
    assert.equal(anon.status, 401, "no EXECUTE for anon: 42501 answers 401 for anon");
    assert.deepEqual(anon.error, {
      code: "42501",
      details: null,
      hint: null,
      message: "permission denied for function workspace_insight_facts",
    });

    const badInput = await clientFor(url, seeded.memberToken).rpc("workspace_insight_facts", {
      workspace_id: seeded.alpha,
      period_days: 500,
    });
    assert.equal(badInput.status, 400);
    assert.equal(badInput.error?.code, "22023");

    const service = await serviceClient(url).rpc("workspace_insight_facts", {
      workspace_id: seeded.beta,
    });
    assert.equal(service.error, null, "service_role bypasses RLS");
  });
});

Deno.test("unknown functions and wrong arguments: PGRST202 with PostgREST's hints", async () => {
  await withApi(async (url) => {
    const client = clientFor(url, seeded.memberToken);
    const typo = await client.rpc("workspace_insight_fact", { workspace_id: 1 });
    assert.equal(typo.status, 404);
    assert.deepEqual(typo.error, {
      code: "PGRST202",
      details:
        "Searched for the function public.workspace_insight_fact with parameter workspace_id or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
      hint: "Perhaps you meant to call the function public.workspace_insight_facts",
      message:
        "Could not find the function public.workspace_insight_fact(workspace_id) in the schema cache",
    });

    const wrongArgs = await client.rpc("workspace_insight_facts", {
      workspace: 1,
      period_days: 7,
    });
    assert.equal(wrongArgs.status, 404);
    assert.deepEqual(wrongArgs.error, {
      code: "PGRST202",
      details:
        "Searched for the function public.workspace_insight_facts with parameters period_days, workspace or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
      hint:
        "Perhaps you meant to call the function public.workspace_insight_facts(campaign_id, period_days, period_end, workspace_id)",
      message:
        "Could not find the function public.workspace_insight_facts(period_days, workspace) in the schema cache",
    });

    const viaGet = await client.rpc("no_such_function", {}, { get: true });
    assert.deepEqual(viaGet.error, {
      code: "PGRST202",
      details:
        "Searched for the function public.no_such_function without parameters, but no matches were found in the schema cache.",
      hint: null,
      message:
        "Could not find the function public.no_such_function without parameters in the schema cache",
    });

    // Functions outside the exposed schemas are not there at all.
    const hidden = await serviceClient(url).rpc("member_workspace_ids");
    assert.equal(hidden.status, 404);
    assert.equal(hidden.error?.code, "PGRST202");
  });
});

Deno.test("function shapes and controls: scalar, set, void, form and array bodies, timezone, response GUCs, PGRST raise, overloads", async () => {
  const prefix = `data_api_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const name = (suffix: string) => `${prefix}_${suffix}`;
  await sql.unsafe(`
    create function public.${name("add")}(a integer, b integer default 10) returns integer
      language sql immutable as $$ select a + b $$;
    create function public.${name("series")}(n integer) returns setof integer
      language sql immutable as $$ select generate_series(1, n) $$;
    create function public.${name("nothing")}(note text) returns void
      language sql volatile as $$ select $$;
    create function public.${name("now")}() returns text
      language sql stable as $$ select to_char(now(), 'TZH') $$;
    create function public.${name("headers")}() returns integer language plpgsql as $$
    begin
      perform set_config('response.headers', '[{"X-Answer":"yes"}]', true);
      perform set_config('response.status', '202', true);
      return 1;
    end $$;
    create function public.${name("raise")}() returns integer language plpgsql as $$
    begin
      raise sqlstate 'PGRST' using
        message = '{"code":"123","message":"ABC","details":"DEF","hint":"XYZ"}',
        detail = '{"status":332,"headers":{"X-Header":"value"}}';
    end $$;
    create function public.${name("json")}() returns table (v jsonb)
      language sql immutable as $$ select '{"list":[10,20],"n":{"k":"x"}}'::jsonb $$;
    create function public.${name("over")}(a integer) returns integer
      language sql immutable as $$ select a $$;
    create function public.${name("over")}(a text) returns integer
      language sql immutable as $$ select 0 $$;
    grant execute on all functions in schema public to service_role;`);
  try {
    await withApi(async (url) => {
      const client = serviceClient(url);
      assert.deepEqual((await client.rpc(name("add"), { a: 1, b: 2 })).data, 3);
      assert.deepEqual((await client.rpc(name("add"), { a: 1 }, { get: true })).data, 11);
      assert.deepEqual((await client.rpc(name("series"), { n: 3 })).data, [1, 2, 3]);
      const paths = await client.rpc(name("json")).select(
        "v->list->1, second:v->list->>0, v->n->>k",
      )
        .single();
      assert.deepEqual(paths.data, { list: 20, second: "10", k: "x" });
      const page = await client.rpc(name("series"), { n: 5 }, { count: "exact" }).range(1, 2);
      assert.deepEqual(page.data, [2, 3]);
      assert.equal(page.count, 5);

      const headers = { apikey: testStack().serviceRoleKey };
      const call = (fn: string, init: RequestInit = {}) =>
        fetch(`${url}/rest/v1/rpc/${fn}`, {
          method: "POST",
          ...init,
          headers: { ...headers, ...init.headers },
        });
      const form = await call(name("add"), {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "a=4&b=5",
      });
      assert.equal(await form.text(), "9");
      const array = await call(name("add"), {
        headers: { "content-type": "application/json" },
        body: '[{"a":1,"b":1},{"a":7,"b":7}]',
      });
      assert.equal(await array.text(), "2", "an array body calls with its first element");

      const nothing = await call(name("nothing"), {
        headers: { "content-type": "application/json" },
        body: '{"note":"x"}',
      });
      assert.equal(nothing.status, 204);
      assert.equal(await nothing.text(), "");

      const chicago = await client.rpc(name("now")).setHeader("Prefer", "timezone=America/Chicago");
      assert.ok(["-05", "-06"].includes(chicago.data as string), String(chicago.data));
      const badZone = await client.rpc(name("now")).setHeader("Prefer", "timezone=Nowhere/Else");
      assert.equal(badZone.status, 400);
      assert.equal(badZone.error?.code, "22023");

      const gucs = await call(name("headers"));
      assert.equal(gucs.status, 202);
      assert.equal(gucs.headers.get("x-answer"), "yes");
      await gucs.body?.cancel();

      const raised = await call(name("raise"));
      assert.equal(raised.status, 332);
      assert.equal(raised.headers.get("x-header"), "value");
      assert.deepEqual(await raised.json(), {
        code: "123",
        details: "DEF",
        hint: "XYZ",
        message: "ABC",
      });

      const ambiguous = await client.rpc(name("over"), { a: 1 });
      assert.equal(ambiguous.status, 300);
      assert.equal(ambiguous.error?.code, "PGRST203");
      assert.equal(
        ambiguous.error?.message,
        `Could not choose the best candidate function between: public.${
          name("over")
        }(a => integer), public.${name("over")}(a => text)`,
      );
    });
  } finally {
    await sql.unsafe(`
      drop function public.${name("add")}(integer, integer);
      drop function public.${name("series")}(integer);
      drop function public.${name("nothing")}(text);
      drop function public.${name("now")}();
      drop function public.${name("headers")}();
      drop function public.${name("raise")}();
      drop function public.${name("json")}();
      drop function public.${name("over")}(integer);
      drop function public.${name("over")}(text);`);
  }
});
