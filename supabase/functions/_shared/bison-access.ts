// Bison clients for the functions, each refusing private addresses unless its connection opted in
// (public.bison_connections.allow_private_address), looked up once per client on first use, and
// ending its requests at the run's deadline when given one.
import type { Sql } from "./database.ts";
import { type BisonClient, createBisonClient } from "./bison-client.ts";

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
  /** private.bison_requests_per_minute of the connection. */
  requestsPerMinute?: number;
  /** Known already (a target row says it); else read from the connection on first use. */
  allowPrivateAddress?: boolean;
  /** The run's deadline (run-deadline.ts). */
  signal?: AbortSignal;
}

/** Clients keeping to their connection's address rules and request budget. */
export function connectionClients(sql: Sql): (call: ConnectionCall) => BisonClient {
  return (call) =>
    createBisonClient({
      baseUrl: call.baseUrl,
      apiKey: call.apiKey,
      requestsPerMinute: call.requestsPerMinute,
      allowPrivateAddress: call.allowPrivateAddress ??
        (() => privateAddressAllowed(sql, call.baseUrl)),
      signal: call.signal,
    });
}

/** The same, called with positional arguments (the poller's clientFor). */
export function bisonClientFactory(
  sql: Sql,
): (baseUrl: string, apiKey: string, requestsPerMinute?: number) => BisonClient {
  const clientFor = connectionClients(sql);
  return (baseUrl, apiKey, requestsPerMinute) => clientFor({ baseUrl, apiKey, requestsPerMinute });
}
