import { connectDatabase } from "../_shared/database.ts";
import { createBisonClient } from "../_shared/bison-client.ts";
import { databaseSubscriptionStore } from "../_shared/webhook-subscription-store.ts";
import { createCheckWebhooksHandler } from "./handler.ts";

Deno.serve(createCheckWebhooksHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databaseSubscriptionStore(connectDatabase("check-webhook-subscriptions")),
  clientFor: (target) =>
    createBisonClient({
      baseUrl: target.base_url,
      apiKey: target.api_key,
      allowPrivateAddress: target.allow_private_address,
      requestsPerMinute: target.requests_per_minute,
    }),
}));
