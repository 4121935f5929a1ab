import { connectDatabase } from "../_shared/database.ts";
import { connectionClients } from "../_shared/bison-access.ts";
import { createPollHandler } from "./handler.ts";
import { databasePollStore } from "./store.ts";

const sql = connectDatabase("poll-sender-emails");
Deno.serve(createPollHandler({
  cronSecret: Deno.env.get("CRON_SECRET"),
  store: databasePollStore(sql),
  clientFor: connectionClients(sql),
  defaultBudgetMs: Number(Deno.env.get("POLL_BUDGET_MS") ?? "40000"),
  defaultMaxPages: Number(Deno.env.get("POLL_MAX_PAGES") ?? "150"),
  defaultConcurrency: Number(Deno.env.get("POLL_CONCURRENCY") ?? "12"),
  pageTimeoutMs: Number(Deno.env.get("POLL_PAGE_TIMEOUT_MS") ?? "10000"),
}));
