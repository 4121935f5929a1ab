import { connectDatabase } from "../_shared/database.ts";
import { supabaseUserTokenVerifier } from "../_shared/user-token.ts";
import { createClaudeGenerator } from "./claude.ts";
import { createInsightsHandler } from "./handler.ts";
import { databaseInsightsStore } from "./store.ts";

const apiKey = Deno.env.get("ANTHROPIC_API_KEY");

Deno.serve(createInsightsHandler({
  store: databaseInsightsStore(connectDatabase("insights")),
  verifyUser: supabaseUserTokenVerifier(
    Deno.env.get("SUPABASE_URL") ?? "",
    Deno.env.get("SUPABASE_ANON_KEY") ?? "",
  ),
  cronSecret: Deno.env.get("CRON_SECRET"),
  claude: apiKey
    ? createClaudeGenerator({
      apiKey,
      model: Deno.env.get("ANTHROPIC_MODEL"),
      baseURL: Deno.env.get("ANTHROPIC_BASE_URL"),
      log: (entry) => console.error(JSON.stringify(entry)),
    })
    : undefined,
}));
