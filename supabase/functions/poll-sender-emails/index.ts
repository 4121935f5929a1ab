import { connectDatabase } from "../_shared/database.ts";
import { createBisonClient } from "../_shared/bison-client.ts";
import { createPollHandler } from "./handler.ts";
import { databasePollStore } from "./store.ts";

Deno.serve(createPollHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databasePollStore(connectDatabase("poll-sender-emails")),
  clientFor: (baseUrl, apiKey, requestsPerMinute) =>
    createBisonClient({ baseUrl, apiKey, requestsPerMinute }),
  defaultBudgetMs: Number(Deno.env.get("POLL_BUDGET_MS") ?? "120000"),
  defaultConcurrency: Number(Deno.env.get("POLL_CONCURRENCY") ?? "12"),
}));
