import { connectDatabase } from "../_shared/database.ts";
import { createFlushHandler } from "./handler.ts";
import { databaseFlushStore } from "./store.ts";

Deno.serve(createFlushHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databaseFlushStore(connectDatabase("flush-broadcasts")),
}));
