// A run never outlives the call that started it. pg_net gives up on a request after its timeout
// (private.invoke_edge_function says which in the x-caller-timeout-ms header) and hosted Supabase
// stops a function after 150 s of wall time; work done after that is lost or, worse, half done.
// A RunDeadline is set safely under the caller's timeout: its signal aborts the Bison client's
// requests, waits and retries (bison-client.ts `signal`), and worker loops stop taking new work
// once it is near, reporting what they left for the next run.

/** The header private.invoke_edge_function sends: how long the caller waits, in ms. */
export const callerTimeoutHeader = "x-caller-timeout-ms";
/** Hosted Supabase stops a function after this much wall time (free plan). */
export const platformWallClockMs = 150_000;
/** Kept back from the caller's timeout to record what was done and answer. */
export const defaultMarginMs = 5_000;

export class RunDeadline {
  /** Aborts when the deadline passes. */
  readonly signal: AbortSignal;

  constructor(readonly at: number, private readonly now: () => number = Date.now) {
    this.signal = AbortSignal.timeout(Math.max(0, at - now()));
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.now());
  }

  /** True when no more than reserveMs is left: time to start nothing new. */
  near(reserveMs = 0): boolean {
    return this.remainingMs() <= reserveMs;
  }
}

/**
 * The deadline of a run started by this request: the caller's timeout (header), at most the
 * platform's wall-clock limit, less a margin (a fifth of it at most) to record and answer.
 */
export function runDeadline(
  request: Request,
  options: { marginMs?: number; now?: () => number } = {},
): RunDeadline {
  const now = options.now ?? Date.now;
  const told = Number(request.headers.get(callerTimeoutHeader));
  const timeoutMs = Number.isFinite(told) && told > 0
    ? Math.min(told, platformWallClockMs)
    : platformWallClockMs;
  const marginMs = Math.min(options.marginMs ?? defaultMarginMs, timeoutMs / 5);
  return new RunDeadline(now() + timeoutMs - marginMs, now);
}
