import { connectDatabase } from "../_shared/database.ts";
import { createBisonClient } from "../_shared/bison-client.ts";
import { createHealthHandler } from "./handler.ts";
import { databaseHealthStore } from "./store.ts";

Deno.serve(createHealthHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databaseHealthStore(connectDatabase("check-system-health")),
  clientFor: (baseUrl, apiKey, requestsPerMinute) =>
    createBisonClient({ baseUrl, apiKey, requestsPerMinute }),
}));
