// POST /functions/v1/insights/generate with ANTHROPIC_API_KEY set, through the gateway beside the
// stack's Auth (which verifies the caller's token), against a local server speaking the Anthropic Messages API: what is stored and
// broadcast, what the model is sent, and every way its answer can go wrong.
import assert from "node:assert/strict";
import { connect, startTestApi } from "../_support/stack.ts";
import {
  type FakeAnthropic,
  insight,
  overloaded,
  startFakeAnthropic,
  toolAnswer,
  validAnswer,
} from "./fake-anthropic.ts";
import { type SeededWorkspace, seedWorkspace } from "./seed.ts";

const sql = connect();
const model = "claude-model-from-env";

async function withClaude(
  body: (context: { url: string; fake: FakeAnthropic; seeded: SeededWorkspace }) => Promise<void>,
) {
  const fake = startFakeAnthropic();
  const gateway = await startTestApi({
    ANTHROPIC_API_KEY: "obviously-fake",
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_MODEL: model,
  });
  try {
    const seeded = await seedWorkspace(sql);
    await body({ url: `${gateway.url}/functions/v1/insights/generate`, fake, seeded });
  } finally {
    await gateway.close();
    await fake.close();
  }
}

async function generate(url: string, token: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function storedFor(workspaceId: number) {
  return await sql`
    select id::int, source, model, items, requested_by::text, campaign_id::int
    from public.insights where workspace_id = ${workspaceId} order by id`;
}

async function broadcastsFor(workspaceId: number) {
  return await sql`
    select event, private, payload from realtime.messages
    where topic = ${`workspace:${workspaceId}:insights`}`;
}

Deno.test("a valid tool answer is stored, broadcast to the workspace and returned", async () => {
  await withClaude(async ({ url, fake, seeded }) => {
    fake.script(validAnswer());
    const response = await generate(url, seeded.memberToken, { workspace_id: seeded.workspaceId });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const expectedItems = (validAnswer().body as { content: { input: { insights: unknown } }[] })
      .content[0].input.insights;
    assert.equal(response.body.source, "claude");
    assert.equal(response.body.model, "claude-scripted-answer");
    assert.deepEqual(response.body.items, expectedItems);
    assert.equal(response.body.period_days, 14);
    assert.ok(response.body.facts.some((fact: { id: string }) => fact.id === "reply_rate"));

    const stored = await storedFor(seeded.workspaceId);
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0], {
      id: response.body.id,
      source: "claude",
      model: "claude-scripted-answer",
      items: expectedItems,
      requested_by: seeded.memberId,
      campaign_id: null,
    });

    const broadcasts = await broadcastsFor(seeded.workspaceId);
    assert.equal(broadcasts.length, 1);
    assert.equal(broadcasts[0].event, "insights_generated");
    assert.equal(broadcasts[0].private, true);
    assert.equal(broadcasts[0].payload.id, response.body.id);
    assert.deepEqual(broadcasts[0].payload.items, expectedItems);

    assert.equal(fake.requests.length, 1);
    const [request] = fake.requests;
    assert.equal(request.headers.get("authorization"), "Bearer obviously-fake");
    assert.equal(request.body.model, model, "ANTHROPIC_MODEL chooses the model");
    assert.deepEqual(request.body.tool_choice, {
      type: "tool",
      name: "record_insights",
      disable_parallel_tool_use: true,
    });
    assert.equal("temperature" in request.body, false);
  });
});

Deno.test("the request sent to the model holds aggregates only: no reply text, subject or sender", async () => {
  await withClaude(async ({ url, fake, seeded }) => {
    fake.script(validAnswer());
    const response = await generate(url, seeded.memberToken, { campaign_id: seeded.campaignId });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const [request] = fake.requests;
    for (const secret of [seeded.replyMarker, "555-0100", "prospect.example.test"]) {
      assert.ok(!request.raw.includes(secret), `the model must not see ${secret}`);
    }
    // ...but it does get the numbers, e.g. this campaign's sends and reply hours.
    const facts = JSON.parse(
      (request.body.messages as { content: string }[])[0].content.split("\n")[1],
    ) as { id: string; numbers: Record<string, unknown> }[];
    assert.deepEqual(
      facts.map((fact) => fact.id).slice(0, 4),
      ["period", "sends", "replies", "interested"],
    );
    assert.equal(facts.find((fact) => fact.id === "period")?.numbers.campaign_name, "Alpha");
    assert.ok(facts.some((fact) => fact.id === "reply_hours"));
    assert.equal(response.body.campaign_id, seeded.campaignId);
  });
});

Deno.test("a malformed answer, then a valid one: the valid one is stored", async () => {
  await withClaude(async ({ url, fake, seeded }) => {
    fake.script(toolAnswer({ insights: [insight("Only one", ["sends"])] }), validAnswer());
    const response = await generate(url, seeded.memberToken, { workspace_id: seeded.workspaceId });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(fake.requests.length, 2);
    assert.match(
      (fake.requests[1].body.messages as { content: string }[])[0].content,
      /previous answer was rejected: insights: Too small/,
    );
    const stored = await storedFor(seeded.workspaceId);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].items.length, 3);
  });
});

Deno.test("malformed twice: a clear 502, and nothing is stored or broadcast", async () => {
  await withClaude(async ({ url, fake, seeded }) => {
    fake.script(
      toolAnswer({ insights: "three great insights" }),
      toolAnswer({ insights: [{ key: "no value, no metric" }, {}, {}] }),
    );
    const response = await generate(url, seeded.memberToken, { workspace_id: seeded.workspaceId });
    assert.equal(response.status, 502);
    assert.match(response.body.error, /malformed twice .*nothing was stored/);
    assert.equal(fake.requests.length, 2, "one retry, not more");
    assert.equal((await storedFor(seeded.workspaceId)).length, 0);
    assert.equal((await broadcastsFor(seeded.workspaceId)).length, 0);
  });
});

Deno.test("overloaded (529), then a success: retried after a backoff and stored", async () => {
  await withClaude(async ({ url, fake, seeded }) => {
    fake.script(overloaded(), validAnswer());
    const started = Date.now();
    const response = await generate(url, seeded.memberToken, { workspace_id: seeded.workspaceId });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(fake.requests.length, 2);
    assert.ok(Date.now() - started >= 350, "it backed off before retrying");
    assert.equal((await storedFor(seeded.workspaceId)).length, 1);
  });
});

/** Claude answers with three good insights and `bad` second; the keys stored, in order. */
async function storedKeysWith(
  { url, fake, seeded }: { url: string; fake: FakeAnthropic; seeded: SeededWorkspace },
  bad: ReturnType<typeof insight>,
): Promise<string[]> {
  fake.script(toolAnswer({
    insights: [
      insight("Sending grew", ["sends"]),
      bad,
      insight("Reply rate", ["reply_rate"]),
      insight("Interested", ["interested_rate"]),
    ],
  }));
  const response = await generate(url, seeded.memberToken, { workspace_id: seeded.workspaceId });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  const [stored] = await storedFor(seeded.workspaceId);
  return stored.items.map((item: { key: string }) => item.key);
}

Deno.test("an insight citing a fact that does not exist is dropped; the others are stored", async () => {
  await withClaude(async (context) => {
    assert.deepEqual(
      await storedKeysWith(context, insight("Invented", ["sends", "revenue_per_lead"])),
      ["Sending grew", "Reply rate", "Interested"],
    );
  });
});

Deno.test("an insight writing a number its facts do not hold is dropped, counted and logged bare", async () => {
  await withClaude(async (context) => {
    const invented = "Sending will reach 987,654 emails by month end: add mailboxes now.";
    assert.deepEqual(
      await storedKeysWith(context, { ...insight("Forecast", ["sends"]), value: invented }),
      ["Sending grew", "Reply rate", "Interested"],
    );
    const logFile = Deno.env.get("TEST_FUNCTION_LOG");
    if (logFile) {
      const log = await Deno.readTextFile(logFile);
      const line = log.split("\n").find((entry) =>
        entry.includes("dropped insights their facts do not hold") &&
        entry.includes(`"workspace_id":${context.seeded.workspaceId}`)
      );
      assert.ok(line, "the drop is logged");
      assert.match(line, /"unknown_fact":0,"ungrounded":1/);
      assert.ok(!log.includes("987,654"), "without the insight's text");
    }
  });
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
