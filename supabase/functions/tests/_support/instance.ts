// A simulated Email Bison instance with a super-admin key, connected through the admin CLI to the
// test database, its webhook URL served by a test gateway (so Bison's test events and deliveries
// really arrive), and removed afterwards.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { type Gateway } from "../../../../scripts/local/gateway.ts";
import {
  type BisonSimulator,
  generateMailboxes,
  startBisonSimulator,
} from "../../../../scripts/simulator/bison-simulator.ts";
import { connect, runBisonCli, startTestGateway, testStack } from "./stack.ts";
import type { BisonCliRun } from "../../../../scripts/local/bison-cli.ts";

export const superAdminKey = "sim-super-admin-key-0123456789";

export interface Instance {
  simulator: BisonSimulator;
  gateway: Gateway;
  functionsUrl: string;
  connectionName: string;
  connectionId: string;
  sql: postgres.Sql;
  /** Runs the admin CLI against the test database and this gateway's functions. */
  cli: (
    args: string[],
    input?: { env?: Record<string, string>; stdin?: string },
  ) => Promise<BisonCliRun>;
  /** Our workspace id of a Bison workspace of this connection. */
  workspaceId: (bisonWorkspaceId: number) => Promise<number>;
}

export async function withInstance(
  options: { workspaces: number; latencyMs?: number; mailboxes?: number },
  body: (instance: Instance) => Promise<void>,
) {
  const sql = connect();
  const simulator = startBisonSimulator({
    superAdminKey,
    latencyMs: options.latencyMs,
    workspaces: Array.from({ length: options.workspaces }, (_, index) => ({
      id: index + 1,
      name: `Client ${index + 1}`,
      apiKey: `sim-workspace-key-${index + 1}-${crypto.randomUUID()}`,
      mailboxes: generateMailboxes(options.mailboxes ?? 2, (index + 1) * 1000),
    })),
  });
  const gateway = await startTestGateway();
  const functionsUrl = `${gateway.url}/functions/v1`;
  const connectionName = `instance-${crypto.randomUUID()}`;
  const cli: Instance["cli"] = (args, input) => runBisonCli(args, functionsUrl, testStack(), input);
  try {
    const connected = await cli([
      "connect",
      "--name",
      connectionName,
      "--base-url",
      simulator.url,
      "--timezone",
      "America/Chicago",
      "--allow-private-address",
    ]);
    assert.equal(connected.code, 0, connected.stderr);
    const connectionId = (connected.result as { connection_id: string }).connection_id;
    await body({
      simulator,
      gateway,
      functionsUrl,
      connectionName,
      connectionId,
      sql,
      cli,
      async workspaceId(bisonWorkspaceId) {
        const [row] = await sql`
          select id::int from public.workspaces
          where connection_id = ${connectionId} and bison_workspace_id = ${bisonWorkspaceId}`;
        return row.id;
      },
    });
  } finally {
    await sql`
      select private.purge_connection(id) from public.bison_connections
      where name = ${connectionName}`;
    await gateway.close();
    await simulator.close();
    await sql.end();
  }
}

/** Runs `bison onboard` on the instance with its super-admin key (in BISON_API_KEY). */
export function runOnboard(instance: Instance, extra: string[] = []): Promise<BisonCliRun> {
  return instance.cli(["onboard", "--connection", instance.connectionName, ...extra], {
    env: { BISON_API_KEY: superAdminKey },
  });
}

/** Onboards the instance and returns the summary (exit code 0). */
export async function onboardInstance(
  instance: Instance,
  extra: string[] = [],
): Promise<Record<string, unknown>> {
  const run = await runOnboard(instance, extra);
  assert.equal(run.code, 0, run.stderr);
  return run.result as Record<string, unknown>;
}
