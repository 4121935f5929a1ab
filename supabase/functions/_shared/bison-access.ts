// Bison clients for the functions, each refusing private addresses unless its connection opted in
// (public.bison_connections.allow_private_address), keeping to its connection's request budget
// shared with every other process (request-budget.ts), and ending its requests at the run's
// deadline when given one.
import type { Sql } from "./database.ts";
import { type BisonClient, createBisonClient, type RequestBudget } from "./bison-client.ts";
import { sharedConnectionBudget } from "./request-budget.ts";

/** True only when every connection at this base URL opted in to private addresses. */
export async function privateAddressAllowed(sql: Sql, baseUrl: string): Promise<boolean> {
  const [row] = await sql`
    select coalesce(bool_and(allow_private_address), false) as allowed
    from public.bison_connections where base_url = ${baseUrl}`;
  return row.allowed;
}

/** What a function knows of the connection it calls, and the run it calls for. */
export interface ConnectionCall {
  baseUrl: string;
  apiKey: string;
  /** The connection whose budget the requests take; else the connection at baseUrl. */
  connectionId?: string;
  /** Known already (a target row says it); else read from the connection on first use. */
  allowPrivateAddress?: boolean;
  /** The run's deadline (run-deadline.ts), or anything else that ends the run's requests. */
  signal?: AbortSignal;
  /** A request not answered within this is unanswered (default bison-client.ts's). */
  timeoutMs?: number;
  /** Sends the requests (the poller counts what the instance leaves unanswered). */
  fetch?: typeof fetch;
}

/** The budget of the connection at baseUrl (a connected one first), found on first use. */
function budgetAt(sql: Sql, baseUrl: string): RequestBudget {
  let budget: Promise<RequestBudget> | null = null;
  return {
    async take() {
      budget ??= (async () => {
        const [row] = await sql`
          select id from public.bison_connections where base_url = ${baseUrl}
          order by disconnected_at nulls first, created_at limit 1`;
        if (!row) throw new Error(`no connection has the base URL ${baseUrl}`);
        return sharedConnectionBudget(sql, row.id);
      })();
      await (await budget).take();
    },
  };
}

/** Clients keeping to their connection's address rules and shared request budget. */
export function connectionClients(sql: Sql): (call: ConnectionCall) => BisonClient {
  return (call) =>
    createBisonClient({
      baseUrl: call.baseUrl,
      apiKey: call.apiKey,
      budget: call.connectionId
        ? sharedConnectionBudget(sql, call.connectionId)
        : budgetAt(sql, call.baseUrl),
      allowPrivateAddress: call.allowPrivateAddress ??
        (() => privateAddressAllowed(sql, call.baseUrl)),
      signal: call.signal,
      timeoutMs: call.timeoutMs,
      fetch: call.fetch,
    });
}
