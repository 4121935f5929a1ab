// Admin CLI for Email Bison connections: `npm run bison -- <command>`. Talks to the project of
// SUPABASE_DB_URL (default: the local stack's .local/stack.env). Progress and human summaries go
// to stderr; an action's last line of stdout is its JSON summary, and listings print a table
// (JSON with --json). Exit codes: 0 done, 1 something failed while doing it, 2 wrong arguments or
// input (nothing changed: bad input found after a change is a failure that says what was done).
// No key is ever printed or logged.
import postgres from "postgres";
import { exitCodes, formatUsage, OperationalError, say, UsageError } from "./bison/cli.ts";
import { describeTarget, openContext, readSettings } from "./bison/context.ts";
import * as connections from "./bison/connections.ts";
import * as onboarding from "./bison/onboard.ts";
import * as operations from "./bison/operations.ts";
import * as people from "./bison/members.ts";
import * as targets from "./bison/targets.ts";

const commands = {
  connect: [connections.connect, connections.usages.connect],
  onboard: [onboarding.onboard, onboarding.usage],
  list: [connections.list, connections.usages.list],
  webhooks: [operations.webhooks, operations.usages.webhooks],
  "rotate-token": [connections.rotateToken, connections.usages.rotateToken],
  poll: [operations.poll, operations.usages.poll],
  member: [people.member, people.usages.member],
  admin: [people.admin, people.usages.admin],
  review: [operations.review, operations.usages.review],
  disconnect: [connections.disconnect, connections.usages.disconnect],
  "add-workspace": [connections.addWorkspace, connections.usages.addWorkspace],
  discover: [connections.discover, connections.usages.discover],
  reprocess: [operations.reprocess, operations.usages.reprocess],
  target: [targets.target, targets.usage],
} as const;

const usage = `usage: npm run bison -- <command> [options]

${Object.values(commands).map(([, text]) => `  ${formatUsage(text, 2)}`).join("\n")}

Every command also takes --json. Secrets stay off the command line: --api-key and --password
read stdin when given as -, and BISON_API_KEY / BISON_PASSWORD when left out. Environment:
SUPABASE_DB_URL, SUPABASE_FUNCTIONS_URL, and for poll CRON_SECRET, for member/admin SUPABASE_URL
and SUPABASE_SERVICE_ROLE_KEY; by default the local stack's .local/stack.env. Exit codes: 0 done,
1 failed while doing it (the summary says what was done), 2 wrong arguments (nothing changed).`;

/** SQLSTATEs the database raises for bad input (its functions' checks, constraints). */
const refusedInput = ["22023", "22P02", "P0002", "23505", "23514"];

/**
 * The error as it must be told: bad input is a usage error (exit 2, nothing changed) only when
 * the command had changed nothing yet; after a change it is a failure (exit 1) saying what was
 * already done, so that nobody believes nothing happened.
 */
function truthful(caught: unknown, changes: string[]): unknown {
  const refused = caught instanceof postgres.PostgresError && refusedInput.includes(caught.code);
  if (!refused && !(caught instanceof UsageError)) return caught;
  const message = (caught as Error).message;
  if (!changes.length) return refused ? new UsageError(message) : caught;
  return new OperationalError(
    `${message}; it had already ${changes.join(", ")}: fix the cause and run it again`,
  );
}

async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    (name ? console.log : console.error)(usage);
    return name ? exitCodes.ok : exitCodes.usage;
  }
  const command = commands[name as keyof typeof commands];
  if (!command) {
    say(`bison: unknown command: ${name}`);
    console.error(usage);
    return exitCodes.usage;
  }
  const [run, commandUsage] = command;
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: ${formatUsage(commandUsage, "usage: ".length)}`);
    return exitCodes.ok;
  }
  const settings = await readSettings();
  say(`bison: acting on the database at ${describeTarget(settings)}`);
  const ctx = openContext(settings);
  try {
    const result = await run(ctx, rest);
    if (result !== undefined) console.log(JSON.stringify(result));
    return exitCodes.ok;
  } catch (caught) {
    throw truthful(caught, ctx.changes);
  } finally {
    await ctx.sql.end({ timeout: 5 });
  }
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      say(`bison: ${error.message}`);
      if (error.usage) say(`usage: ${formatUsage(error.usage, "usage: ".length)}`);
      code = exitCodes.usage;
    } else {
      if (error instanceof OperationalError && error.result !== undefined) {
        console.log(JSON.stringify(error.result));
      }
      say(`bison: ${error instanceof Error ? error.message : String(error)}`);
      code = exitCodes.failed;
    }
  }
  Deno.exit(code);
}
