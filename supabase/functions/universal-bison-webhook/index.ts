import { connectDatabase } from "../_shared/database.ts";
import { createWebhookHandler } from "./handler.ts";
import { databaseWebhookStore } from "./store.ts";

Deno.serve(createWebhookHandler({
  store: databaseWebhookStore(connectDatabase("universal-bison-webhook")),
}));
