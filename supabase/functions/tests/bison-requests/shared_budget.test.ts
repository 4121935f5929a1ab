// Two processes calling one Bison instance keep, together, to its connection's request budget:
// each has its own client and its own local slots, and both claim from the one budget row in
// the database. 40 requests at 600 a minute (10 a second, a second's worth at once) cannot be
// sent in less than 3 s together, where two budgets kept per process would let them through in
// about one.
import assert from "node:assert/strict";
import { connect } from "../_support/stack.ts";
import { createBisonClient } from "../../_shared/bison-client.ts";
import { databaseClaims, sharedBudget } from "../../_shared/request-budget.ts";
import {
  generateMailboxes,
  startBisonSimulator,
} from "../../../../scripts/simulator/bison-simulator.ts";

const sql = connect();

Deno.test("two clients of one connection share its budget", async () => {
  const simulator = startBisonSimulator({
    workspaces: [{
      id: 1,
      name: "W1",
      apiKey: "budget-key-abcdef",
      mailboxes: generateMailboxes(1),
    }],
  });
  const [{ id: connectionId }] = await sql`
    insert into public.bison_connections (name, base_url, allow_private_address, requests_per_minute)
    values (${`budget-${crypto.randomUUID()}`}, ${simulator.url}, true, 600) returning id`;
  try {
    // What a process of its own would have: a budget claiming from the database, nothing shared.
    const processClient = () =>
      createBisonClient({
        baseUrl: simulator.url,
        apiKey: "budget-key-abcdef",
        allowPrivateAddress: true,
        budget: sharedBudget(databaseClaims(sql, connectionId)),
      });
    const [one, two] = [processClient(), processClient()];
    const started = performance.now();
    await Promise.all(
      [one, two].flatMap((client) => Array.from({ length: 20 }, () => client.currentUser())),
    );
    const elapsedMs = performance.now() - started;
    assert.equal(simulator.requests.filter((r) => r.path === "/api/users").length, 40);
    assert.ok(
      elapsedMs >= 2_800,
      `40 requests at 10 a second, a second's worth at once, took ${Math.round(elapsedMs)} ms`,
    );
  } finally {
    await sql`delete from public.bison_connections where id = ${connectionId}`;
    await simulator.close();
  }
});

globalThis.addEventListener("unload", () => {
  sql.end();
});
