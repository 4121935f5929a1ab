import { connectDatabase } from "../_shared/database.ts";
import { connectionClients } from "../_shared/bison-access.ts";
import { createHealthHandler } from "./handler.ts";
import { databaseHealthStore } from "./store.ts";

const sql = connectDatabase("check-system-health");
Deno.serve(createHealthHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databaseHealthStore(sql),
  clientFor: connectionClients(sql),
}));
