// What a function's own process uses, read from /proc: the CPU of every thread (user + system),
// and the peak resident memory since it was last reset. How the benchmarks measure a function
// against hosted Supabase's limits per invocation (function-limits.ts, scale.ts).
import { run } from "../local/process.ts";

/** What hosted Supabase allows one invocation of an edge function (free plan). */
export const hostedLimits = { cpuMs: 2_000, memoryMb: 256, wallMs: 150_000 };

/**
 * The environment that gives a function's process the V8 heap of a hosted isolate limited to
 * heapMb. Hosted Supabase's edge runtime creates each function's isolate with a heap limit
 * (v8::CreateParams::heap_limits, up to its memory limit), and V8 sizes the young generation from
 * that limit: semi-spaces of 1-2 MB. A Deno process started without a limit lets them grow to
 * 8-16 MB as allocation speeds up and keeps what it grew, so its RSS rises from one invocation to
 * the next; --max-old-space-size alone leaves them so.
 */
export function hostedHeapEnv(heapMb: number): Record<string, string> {
  return { DENO_V8_FLAGS: `--max-old-space-size=${heapMb},--max-semi-space-size=2` };
}

const clockTicksPerSecond = Number((await run("getconf", ["CLK_TCK"])).trim()) || 100;

/** User + system CPU of the whole process (every thread), in ms. */
export function processCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / clockTicksPerSecond;
}

/** The process's peak resident memory (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? NaN);
  return kb / 1024;
}

/** Resets the process's peak RSS to its current RSS (Linux 4.0+, own processes). */
export function resetPeakRss(pid: number): boolean {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

export interface Usage {
  cpuMs: number;
  peakRssMb: number;
  wallMs: number;
  /** False when the peak could not be reset: it is then the process's lifetime peak. */
  peakReset: boolean;
}

/** Runs work and returns what the process `pid` used meanwhile (work's result alongside). */
export async function measured<T>(pid: number, work: () => Promise<T>): Promise<[T, Usage]> {
  const peakReset = resetPeakRss(pid);
  const cpuBefore = processCpuMs(pid);
  const started = performance.now();
  const result = await work();
  return [result, {
    cpuMs: processCpuMs(pid) - cpuBefore,
    peakRssMb: peakRssMb(pid),
    wallMs: performance.now() - started,
    peakReset,
  }];
}
