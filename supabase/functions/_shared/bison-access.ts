// Bison clients for the functions, each refusing private addresses unless its connection opted in
// (public.bison_connections.allow_private_address), looked up once per client on first use.
import type { Sql } from "./database.ts";
import { type BisonClient, createBisonClient } from "./bison-client.ts";

/** True only when every connection at this base URL opted in to private addresses. */
export async function privateAddressAllowed(sql: Sql, baseUrl: string): Promise<boolean> {
  const [row] = await sql`
    select coalesce(bool_and(allow_private_address), false) as allowed
    from public.bison_connections where base_url = ${baseUrl}`;
  return row.allowed;
}

/** Clients keeping to their connection's request budget (private.bison_requests_per_minute). */
export function bisonClientFactory(
  sql: Sql,
): (baseUrl: string, apiKey: string, requestsPerMinute?: number) => BisonClient {
  return (baseUrl, apiKey, requestsPerMinute) =>
    createBisonClient({
      baseUrl,
      apiKey,
      requestsPerMinute,
      allowPrivateAddress: () => privateAddressAllowed(sql, baseUrl),
    });
}
