// Small process helpers for the local stack: run a command and fail with its output, run as the
// `postgres` OS user when we are root (PostgreSQL refuses to run as root), and manage detached
// background services through pid files.

export class CommandError extends Error {}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Stream output to the terminal instead of capturing it. */
  inherit?: boolean;
}

export async function run(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    stdout: options.inherit ? "inherit" : "piped",
    stderr: options.inherit ? "inherit" : "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const stdout = options.inherit ? "" : decode(output.stdout);
  if (!output.success) {
    const stderr = options.inherit ? "" : decode(output.stderr);
    const detail = (stderr || stdout).trim().split("\n").slice(-15).join("\n");
    throw new CommandError(`${command} ${args[0] ?? ""} failed (exit ${output.code})\n${detail}`);
  }
  return stdout;
}

export const isRoot = () => Deno.uid() === 0;

/** Wraps a command so it runs as the `postgres` OS user when we are root. */
export function asPostgres(command: string, args: string[]): [string, string[]] {
  return isRoot() ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

export function pidAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

export async function readPid(pidFile: string): Promise<number | null> {
  try {
    const pid = Number((await Deno.readTextFile(pidFile)).trim());
    return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Starts a service in its own process group, its output appended to logFile. */
export async function spawnDetached(
  command: string,
  args: string[],
  options: { env: Record<string, string>; logFile: string; pidFile: string },
): Promise<number> {
  const child = new Deno.Command("bash", {
    args: ["-c", 'exec "$@" >>"$SERVICE_LOG" 2>&1', "bash", command, ...args],
    env: { ...options.env, SERVICE_LOG: options.logFile },
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  await Deno.writeTextFile(options.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** Stops a detached service and everything it started; true when something was running. */
export async function stopPidFile(pidFile: string, timeoutMs = 5000): Promise<boolean> {
  const pid = await readPid(pidFile);
  await Deno.remove(pidFile).catch(() => {});
  if (pid === null) return false;
  const signalGroup = (signal: Deno.Signal) => {
    try {
      Deno.kill(-pid, signal);
    } catch {
      try {
        Deno.kill(pid, signal);
      } catch { /* already gone */ }
    }
  };
  signalGroup("SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && groupAlive(pid)) await delay(50);
  if (groupAlive(pid)) signalGroup("SIGKILL");
  return true;
}

function groupAlive(pgid: number): boolean {
  try {
    Deno.kill(-pgid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check() is true, failing with a clear message after timeoutMs. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** True when a server listens on the port (as opposed to a closing client socket holding it). */
export async function someoneListens(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a server on one of the stacks' fixed ports. Those ports lie inside Linux's ephemeral
 * range, so a client connection of any process (open, or closed and in TIME_WAIT) can hold one
 * for up to a minute: when the server's log says the address is in use and nobody listens there,
 * wait and start again instead of failing the whole run.
 */
export async function startOnFixedPort(
  what: string,
  port: number,
  logFile: string,
  start: () => Promise<void>,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      return await start();
    } catch (error) {
      const log = await Deno.readTextFile(logFile).catch(() => "");
      const portHeld = log.trim().split("\n").slice(-6).some((line) =>
        line.includes("Address already in use")
      );
      if (!portHeld || Date.now() > deadline || await someoneListens(port)) throw error;
      console.error(`  … port ${port} (${what}) is still held by a client connection; retrying`);
      await delay(3000);
    }
  }
}
