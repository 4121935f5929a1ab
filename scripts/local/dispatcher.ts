// Performs the HTTP requests queued in net.http_request_queue, the way pg_net's background worker
// does on hosted Supabase: it only sees committed rows, claims them by deleting them, honours each
// request's timeout_milliseconds and records the outcome in net._http_response. Like pg_net's
// worker it is part of the platform and connects as the platform superuser. Being the stack's
// long-running platform process, it also does the Realtime server's partition upkeep on
// realtime.messages (realtime_local.maintain_message_partitions, see 40_realtime.sql).
import postgres from "postgres";

export interface DispatcherOptions {
  /** The platform superuser's connection (PLATFORM_DB_URL), as pg_net's worker has. */
  databaseUrl: string;
  /** How often to run Realtime's partition upkeep (its janitor runs every few hours). */
  partitionUpkeepMs?: number;
  /** Requests in flight at once (pg_net's batch_size is 200; a local machine needs fewer). */
  concurrency?: number;
  /** How long to sleep when the queue is empty. */
  idleMs?: number;
  /** Responses older than this are deleted, like pg_net's `pg_net.ttl` (6 hours). */
  responseTtl?: string;
  log?: (line: string) => void;
}

export interface Dispatcher {
  stop(): Promise<void>;
}

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
}

export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const log = options.log ?? ((line: string) => console.error(line));
  const concurrency = options.concurrency ?? 32;
  const idleMs = options.idleMs ?? 50;
  const responseTtl = options.responseTtl ?? "6 hours";
  const sql = postgres(options.databaseUrl, {
    max: 4,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: "pg_net dispatcher (local)" },
  });
  const inFlight = new Set<Promise<void>>();
  const partitionUpkeepMs = options.partitionUpkeepMs ?? 3_600_000;
  let stopped = false;
  let lastPrune = 0;
  let lastPartitionUpkeep = 0;

  async function perform(request: QueuedRequest): Promise<void> {
    let outcome: {
      status_code: number | null;
      content_type: string | null;
      headers: Record<string, string> | null;
      content: string | null;
      timed_out: boolean;
      error_msg: string | null;
    };
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        body: request.body && request.method !== "GET" ? request.body : undefined,
        signal: AbortSignal.timeout(request.timeout_milliseconds),
        redirect: "follow",
      });
      const content = await response.text();
      outcome = {
        status_code: response.status,
        content_type: response.headers.get("content-type"),
        headers: Object.fromEntries(response.headers),
        content,
        timed_out: false,
        error_msg: null,
      };
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === "TimeoutError";
      outcome = {
        status_code: null,
        content_type: null,
        headers: null,
        content: null,
        timed_out: timedOut,
        error_msg: timedOut
          ? `Timeout of ${request.timeout_milliseconds} ms reached`
          : String((error as Error).message ?? error),
      };
    }
    await sql`
      insert into net._http_response
        (id, status_code, content_type, headers, content, timed_out, error_msg)
      values (${request.id}, ${outcome.status_code}, ${outcome.content_type},
              ${outcome.headers ? sql.json(outcome.headers) : null}, ${outcome.content},
              ${outcome.timed_out}, ${outcome.error_msg})`;
  }

  async function claim(limit: number): Promise<QueuedRequest[]> {
    return await sql<QueuedRequest[]>`
      delete from net.http_request_queue
      where id in (
        select id from net.http_request_queue order by id limit ${limit} for update skip locked
      )
      returning id::text, method::text, url, headers, body, timeout_milliseconds`;
  }

  async function prune(): Promise<void> {
    if (Date.now() - lastPrune < 60_000) return;
    lastPrune = Date.now();
    await sql`delete from net._http_response where created < now() - ${responseTtl}::interval`;
  }

  async function maintainPartitions(): Promise<void> {
    if (Date.now() - lastPartitionUpkeep < partitionUpkeepMs) return;
    lastPartitionUpkeep = Date.now();
    await sql`select realtime_local.maintain_message_partitions()`;
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await prune();
        await maintainPartitions();
        const free = concurrency - inFlight.size;
        const claimed = free > 0 ? await claim(free) : [];
        for (const request of claimed) {
          const task = perform(request)
            .catch((error) => log(`dispatcher: request ${request.id} not recorded: ${error}`))
            .finally(() => inFlight.delete(task));
          inFlight.add(task);
        }
        if (claimed.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, idleMs));
        }
      } catch (error) {
        if (stopped) break;
        log(`dispatcher: ${(error as Error).message}; retrying in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.allSettled([...inFlight]);
      await sql.end({ timeout: 5 });
    },
  };
}

if (import.meta.main) {
  const databaseUrl = Deno.env.get("PLATFORM_DB_URL");
  if (!databaseUrl) {
    console.error("dispatcher: PLATFORM_DB_URL is not set");
    Deno.exit(2);
  }
  const dispatcher = startDispatcher({ databaseUrl });
  console.error("dispatcher: performing queued pg_net requests");
  const shutdown = async () => {
    await dispatcher.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
}
