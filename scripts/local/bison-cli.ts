// The admin CLI (scripts/bison.ts) run in a process of its own, as an operator would, for the
// stack, the tests and the benchmarks: its exit code, its output, and the JSON object it prints as
// the last line of stdout.
import { join } from "node:path";
import { repoRoot } from "./config.ts";

export interface BisonCliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The last line of stdout as JSON; null when it is not JSON (the command failed). */
  result: unknown;
}

/**
 * Runs `scripts/bison.ts <args>`, with env added to this process's environment and, when given,
 * stdin written to its standard input (as `echo ... | npm run bison -- ...` would).
 */
export async function runBisonCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<BisonCliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(repoRoot, "scripts", "bison.ts"), ...args],
    cwd: repoRoot,
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout);
  let result: unknown = null;
  try {
    result = JSON.parse(stdout.trim().split("\n").pop() ?? "");
  } catch { /* not JSON: the command failed */ }
  return { code: output.code, stdout, stderr: new TextDecoder().decode(output.stderr), result };
}

/** Like runBisonCli, but a failure throws with what the CLI said. */
export async function bisonCliResult<T>(args: string[], env: Record<string, string>): Promise<T> {
  const run = await runBisonCli(args, env);
  if (run.code !== 0 || run.result === null) {
    throw new Error(`bison ${args[0]} failed (exit ${run.code}): ${run.stderr.trim()}`);
  }
  return run.result as T;
}
