// Reads through /rest/v1 with the real supabase-js client, as anon, as a member and as the service
// role: RLS and grants decide what each sees, and every filter and modifier a dashboard uses gives
// the rows PostgREST would give.
import assert from "node:assert/strict";
import { connect, testStack } from "../_support/stack.ts";
import { clientFor, seed, serviceClient, withApi } from "./seed.ts";

const sql = connect();
const seeded = await seed(sql);
const { alpha, beta, gamma, ids } = seeded;

const idsOf = (rows: { id: number }[] | null) => (rows ?? []).map((row) => row.id);

Deno.test("RLS and grants decide: anon is refused, a member sees their workspace, an outsider none", async () => {
  await withApi(async (url) => {
    const anon = await clientFor(url).from("workspaces").select("id").in("id", ids);
    assert.equal(anon.status, 401, "anon has no grant on workspaces: 42501 answers 401 for anon");
    assert.deepEqual(anon.error, {
      code: "42501",
      details: null,
      hint: null,
      message: "permission denied for table workspaces",
    });

    const member = await clientFor(url, seeded.memberToken).from("workspaces").select("id")
      .in("id", ids);
    assert.equal(member.status, 200);
    assert.deepEqual(idsOf(member.data), [alpha]);

    const outsider = await clientFor(url, seeded.outsiderToken).from("workspace_daily_metrics")
      .select("day").in("workspace_id", ids);
    assert.equal(outsider.status, 200);
    assert.deepEqual(outsider.data, []);

    const service = await serviceClient(url).from("workspaces").select("id").in("id", ids)
      .order("id");
    assert.deepEqual(idsOf(service.data), ids);

    // Views are security invoker: the member sees their workspace's rows there too.
    const health = await clientFor(url, seeded.memberToken).from("webhook_health")
      .select("workspace_id, workspace_name").in("workspace_id", ids);
    assert.deepEqual(health.data, [{ workspace_id: alpha, workspace_name: "Alpha Agency" }]);
    const campaigns = await clientFor(url, seeded.memberToken).from("campaign_metrics")
      .select("campaign_id, emails_sent, replies").eq("workspace_id", alpha);
    assert.deepEqual(campaigns.data, [{
      campaign_id: seeded.campaign,
      emails_sent: 1500,
      replies: 150,
    }]);
  });
});

Deno.test("select: columns, aliases and casts name and shape the output", async () => {
  await withApi(async (url) => {
    const { data, error } = await serviceClient(url).from("workspace_daily_metrics")
      .select("day, sent:emails_sent, replies::text").eq("workspace_id", alpha)
      .order("day", { ascending: false }).limit(2);
    assert.equal(error, null);
    assert.deepEqual(data, [
      { day: seeded.alphaDays[0], sent: 100, replies: "10" },
      { day: seeded.alphaDays[1], sent: 200, replies: "20" },
    ]);
  });
});

Deno.test("filters: eq neq gt gte lt lte in is like ilike, each with not", async () => {
  await withApi(async (url) => {
    const client = serviceClient(url);
    const metrics = () =>
      client.from("workspace_daily_metrics").select("emails_sent").eq("workspace_id", alpha)
        .order("emails_sent");
    const sent = async (build: (q: ReturnType<typeof metrics>) => ReturnType<typeof metrics>) => {
      const { data, error } = await build(metrics());
      assert.equal(error, null, JSON.stringify(error));
      return (data as { emails_sent: number }[]).map((row) => row.emails_sent);
    };
    assert.deepEqual(await sent((q) => q.eq("emails_sent", 300)), [300]);
    assert.deepEqual(await sent((q) => q.neq("emails_sent", 300)), [100, 200, 400, 500]);
    assert.deepEqual(await sent((q) => q.gt("emails_sent", 300)), [400, 500]);
    assert.deepEqual(await sent((q) => q.gte("emails_sent", 300)), [300, 400, 500]);
    assert.deepEqual(await sent((q) => q.lt("emails_sent", 300)), [100, 200]);
    assert.deepEqual(await sent((q) => q.lte("emails_sent", 300)), [100, 200, 300]);
    assert.deepEqual(await sent((q) => q.in("emails_sent", [100, 500, 7])), [100, 500]);
    assert.deepEqual(await sent((q) => q.not("emails_sent", "in", "(100,500)")), [200, 300, 400]);
    assert.deepEqual(await sent((q) => q.not("emails_sent", "eq", 300)), [100, 200, 400, 500]);
    assert.deepEqual(await sent((q) => q.not("emails_sent", "gt", 300)), [100, 200, 300]);
    assert.deepEqual(await sent((q) => q.filter("day", "gte", seeded.alphaDays[1])), [100, 200]);

    const workspaces = () => client.from("workspaces").select("name").in("id", ids).order("id");
    const names = async (
      build: (q: ReturnType<typeof workspaces>) => ReturnType<typeof workspaces>,
    ) => {
      const { data, error } = await build(workspaces());
      assert.equal(error, null, JSON.stringify(error));
      return (data as { name: string | null }[]).map((row) => row.name);
    };
    assert.deepEqual(await names((q) => q.is("name", null)), [null]);
    assert.deepEqual(await names((q) => q.not("name", "is", null)), [
      "Alpha Agency",
      "beta bakery",
    ]);
    assert.deepEqual(await names((q) => q.is("needs_review", true)), ["beta bakery"]);
    assert.deepEqual(await names((q) => q.like("name", "Alpha*")), ["Alpha Agency"]);
    assert.deepEqual(await names((q) => q.like("name", "%bakery")), ["beta bakery"]);
    assert.deepEqual(await names((q) => q.ilike("name", "*BAKERY*")), ["beta bakery"]);
    assert.deepEqual(await names((q) => q.not("name", "ilike", "*bakery*")), ["Alpha Agency"]);
    assert.deepEqual(await names((q) => q.not("name", "like", "Alpha%")), ["beta bakery"]);
    assert.deepEqual(await names((q) => q.eq("needs_review", false)), ["Alpha Agency", null]);
    // A value that is SQL text stays a value.
    assert.deepEqual(await names((q) => q.eq("name", "x' or '1'='1")), []);
    assert.deepEqual(await names((q) => q.in("name", ['a"b', "beta bakery", "c,d"])), [
      "beta bakery",
    ]);
  });
});

Deno.test("or/and trees, nested and negated", async () => {
  await withApi(async (url) => {
    const { data, error } = await serviceClient(url).from("workspaces").select("id").in("id", ids)
      .or(`name.ilike.*alpha*,and(needs_review.is.true,timezone.eq.America/Chicago)`).order("id");
    assert.equal(error, null, JSON.stringify(error));
    assert.deepEqual(idsOf(data), [alpha, beta]);

    // supabase-js has no builder for a negated tree; the URL is what PostgREST documents.
    const negated = await fetch(
      `${url}/rest/v1/workspaces?select=id&id=in.(${ids})&not.or=(name.is.null,needs_review.is.true)`,
      { headers: { apikey: testStack().serviceRoleKey } },
    );
    assert.deepEqual(idsOf(await negated.json()), [alpha]);

    const nested = await serviceClient(url).from("workspaces").select("id").in("id", ids)
      .or(`id.eq.${gamma},and(id.gt.${alpha},or(name.like.beta*,name.is.null))`).order("id");
    assert.deepEqual(idsOf(nested.data), [beta, gamma]);
  });
});

Deno.test("order: several columns, asc/desc, nulls first/last", async () => {
  await withApi(async (url) => {
    const client = serviceClient(url);
    const byName = (options: { ascending?: boolean; nullsFirst?: boolean }) =>
      client.from("workspaces").select("id").in("id", ids).order("name", options);
    assert.deepEqual(idsOf((await byName({ ascending: true })).data), [alpha, beta, gamma]);
    assert.deepEqual(idsOf((await byName({ ascending: false })).data), [gamma, beta, alpha]);
    assert.deepEqual(idsOf((await byName({ ascending: true, nullsFirst: true })).data), [
      gamma,
      alpha,
      beta,
    ]);
    assert.deepEqual(idsOf((await byName({ ascending: false, nullsFirst: false })).data), [
      beta,
      alpha,
      gamma,
    ]);
    const twoColumns = await client.from("workspaces").select("id").in("id", ids)
      .order("needs_review", { ascending: false }).order("id", { ascending: false });
    assert.deepEqual(idsOf(twoColumns.data), [beta, gamma, alpha]);
  });
});

Deno.test("limit/offset, range and Range headers, with Content-Range and 206", async () => {
  await withApi(async (url) => {
    const client = serviceClient(url);
    const page = await client.from("workspace_daily_metrics").select("emails_sent", {
      count: "exact",
    }).eq("workspace_id", alpha).order("emails_sent").range(1, 2);
    assert.equal(page.status, 206);
    assert.equal(page.count, 5);
    assert.deepEqual(page.data, [{ emails_sent: 200 }, { emails_sent: 300 }]);

    const limited = await client.from("workspace_daily_metrics").select("emails_sent")
      .eq("workspace_id", alpha).order("emails_sent").limit(2);
    assert.deepEqual(limited.data, [{ emails_sent: 100 }, { emails_sent: 200 }]);
    assert.equal(limited.count, null);

    const base =
      `${url}/rest/v1/workspace_daily_metrics?select=emails_sent&workspace_id=eq.${alpha}` +
      `&order=emails_sent`;
    const headers = { apikey: testStack().serviceRoleKey };
    const ranged = await fetch(base, {
      headers: { ...headers, Range: "3-10", "Range-Unit": "items", Prefer: "count=exact" },
    });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get("content-range"), "3-4/5");
    assert.equal(ranged.headers.get("preference-applied"), "count=exact");
    assert.deepEqual(await ranged.json(), [{ emails_sent: 400 }, { emails_sent: 500 }]);

    const noCount = await fetch(`${base}&offset=1&limit=2`, { headers });
    assert.equal(noCount.status, 200);
    assert.equal(noCount.headers.get("content-range"), "1-2/*");
    await noCount.body?.cancel();

    const pastTheEnd = await fetch(`${base}&offset=9`, {
      headers: { ...headers, Prefer: "count=exact" },
    });
    assert.equal(pastTheEnd.status, 416);
    assert.equal(pastTheEnd.headers.get("content-range"), "*/5");
    assert.deepEqual(await pastTheEnd.json(), {
      code: "PGRST103",
      details: "An offset of 9 was requested, but there are only 5 rows.",
      hint: null,
      message: "Requested range not satisfiable",
    });

    const empty = await fetch(base, { headers: { ...headers, Range: "4-2" } });
    assert.equal(empty.status, 416);
    assert.deepEqual(await empty.json(), {
      code: "PGRST103",
      details:
        "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
      hint: null,
      message: "Requested range not satisfiable",
    });

    const zero = await fetch(`${base}&limit=0`, { headers: { ...headers, Prefer: "count=exact" } });
    assert.equal(zero.headers.get("content-range"), "*/5");
    assert.deepEqual(await zero.json(), []);
  });
});

Deno.test("max_rows from config.toml caps every answer, and the count still says how many", async () => {
  const [{ id }] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    select connection_id, 99, 'Many Days' from public.workspaces where id = ${alpha}
    returning id::int`;
  await sql`
    insert into public.workspace_daily_metrics (workspace_id, day, emails_sent)
    select ${id}, date '2020-01-01' + i, i from generate_series(1, 1001) i`;
  await withApi(async (url) => {
    const { data, count, status } = await serviceClient(url).from("workspace_daily_metrics")
      .select("emails_sent", { count: "exact" }).eq("workspace_id", id).order("day");
    assert.equal(data?.length, 1000);
    assert.equal(count, 1001);
    assert.equal(status, 206);
    const offset = await serviceClient(url).from("workspace_daily_metrics").select("emails_sent")
      .eq("workspace_id", id).order("day").range(990, 2000);
    assert.equal(offset.data?.length, 11);
  });
});

Deno.test("count=exact|planned|estimated and HEAD", async () => {
  await withApi(async (url) => {
    const client = serviceClient(url);
    const head = await client.from("workspace_daily_metrics")
      .select("*", { count: "exact", head: true }).eq("workspace_id", alpha);
    assert.equal(head.status, 200);
    assert.equal(head.count, 5);
    assert.equal(head.data, null);

    const member = await clientFor(url, seeded.memberToken).from("workspaces")
      .select("*", { count: "exact", head: true }).in("id", ids);
    assert.equal(member.count, 1, "the count runs under RLS too");

    const planned = await client.from("workspace_daily_metrics")
      .select("day", { count: "planned" }).eq("workspace_id", alpha);
    assert.equal(planned.error, null);
    assert.ok(typeof planned.count === "number" && planned.count >= 1, `${planned.count}`);
    assert.equal(planned.data?.length, 5);

    const estimated = await client.from("workspace_daily_metrics")
      .select("day", { count: "estimated" }).eq("workspace_id", alpha);
    assert.equal(estimated.count, 5, "under max_rows, estimated is the exact count");
  });
});

Deno.test("single and maybeSingle: one object, or PGRST116 406", async () => {
  await withApi(async (url) => {
    const client = serviceClient(url);
    const one = await client.from("workspaces").select("id, name").eq("id", alpha).single();
    assert.equal(one.status, 200);
    assert.deepEqual(one.data, { id: alpha, name: "Alpha Agency" });

    const none = await client.from("workspaces").select("id").eq("id", -1).single();
    assert.equal(none.status, 406);
    assert.deepEqual(none.error, {
      code: "PGRST116",
      details: "The result contains 0 rows",
      hint: null,
      message: "Cannot coerce the result to a single JSON object",
    });
    const many = await client.from("workspaces").select("id").in("id", ids).single();
    assert.equal(many.error?.details, "The result contains 3 rows");

    const maybe = await client.from("workspaces").select("id").eq("id", -1).maybeSingle();
    assert.equal(maybe.error, null);
    assert.equal(maybe.data, null);

    // The member cannot see beta: for them it is zero rows.
    const hidden = await clientFor(url, seeded.memberToken).from("workspaces").select("id")
      .eq("id", beta).single();
    assert.equal(hidden.status, 406);
  });
});

Deno.test("csv and stripped nulls", async () => {
  await withApi(async (url) => {
    const csv = await serviceClient(url).from("workspaces").select("id, name").in("id", ids)
      .order("id").csv();
    assert.equal(csv.data, `id,name\n${alpha},"Alpha Agency"\n${beta},"beta bakery"\n${gamma},`);
    const stripped = await serviceClient(url).from("workspaces").select("id, name")
      .eq("id", gamma).stripNulls();
    assert.deepEqual(stripped.data, [{ id: gamma }]);
  });
});

Deno.test("more operators: match, imatch, isdistinct, quantifiers, full-text, JSON containment", async () => {
  await withApi(async (url) => {
    const headers = { apikey: testStack().serviceRoleKey };
    const ids_ = async (query: string) => {
      const response = await fetch(
        `${url}/rest/v1/workspaces?select=id&id=in.(${ids})&order=id&${query}`,
        { headers },
      );
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      return idsOf(body);
    };
    assert.deepEqual(await ids_("name=match.^Alpha"), [alpha]);
    assert.deepEqual(await ids_("name=imatch.^BETA"), [beta]);
    assert.deepEqual(await ids_("timezone=isdistinct.America/Chicago"), [alpha, gamma]);
    assert.deepEqual(await ids_("name=like(any).{Alpha*,beta*}"), [alpha, beta]);
    assert.deepEqual(await ids_("name=ilike(all).{*a*,*BAKERY}"), [beta]);
    assert.deepEqual(await ids_(`id=eq(any).{${alpha},${gamma}}`), [alpha, gamma]);
    assert.deepEqual(await ids_("name=fts.agency"), [alpha]);
    assert.deepEqual(await ids_("name=wfts(english).bakeries"), [beta]);
    assert.deepEqual(await ids_("name=not.phfts.alpha agency"), [beta]);

    const facts = await fetch(
      `${url}/rest/v1/rpc/workspace_insight_facts?workspace_id=${alpha}` +
        `&select=fact_id,days:numbers->period_days&numbers=cs.{"scope":"workspace"}`,
      { headers },
    );
    assert.deepEqual(await facts.json(), [{ fact_id: "period", days: 14 }]);
  });
});

Deno.test("OPTIONS answers the methods a relation allows", async () => {
  await withApi(async (url) => {
    const headers = { apikey: testStack().serviceRoleKey };
    const table = await fetch(`${url}/rest/v1/workspaces`, { method: "OPTIONS", headers });
    assert.equal(table.headers.get("allow"), "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE");
    const view = await fetch(`${url}/rest/v1/webhook_health`, { method: "OPTIONS", headers });
    assert.equal(view.headers.get("allow"), "OPTIONS,GET,HEAD");
    await Promise.all([table.body?.cancel(), view.body?.cancel()]);
  });
});
