import { connectDatabase } from "../_shared/database.ts";
import { createProviderPerformanceHandler } from "./handler.ts";
import { databaseProviderPerformanceStore } from "./store.ts";

Deno.serve(createProviderPerformanceHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databaseProviderPerformanceStore(connectDatabase("calculate-provider-performance")),
}));
