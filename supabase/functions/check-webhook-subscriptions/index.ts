import { connectDatabase } from "../_shared/database.ts";
import { connectionClients } from "../_shared/bison-access.ts";
import { databaseSubscriptionStore } from "../_shared/webhook-subscription-store.ts";
import { createCheckWebhooksHandler } from "./handler.ts";

const sql = connectDatabase("check-webhook-subscriptions");
const clientFor = connectionClients(sql);
Deno.serve(createCheckWebhooksHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databaseSubscriptionStore(sql),
  clientFor: (target, signal) =>
    clientFor({
      baseUrl: target.base_url,
      apiKey: target.api_key,
      connectionId: target.connection_id,
      allowPrivateAddress: target.allow_private_address,
      signal,
    }),
}));
