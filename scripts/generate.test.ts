// The generated files are what the database says: docs/data-model.md and the TypeScript types,
// generated again from the database `npm test` built, must equal the committed ones.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot } from "./local/config.ts";
import { firstDifference, generatedFiles } from "./generate.ts";

Deno.test("docs/data-model.md and supabase/types/database.ts are what the database says", async () => {
  const databaseUrl = Deno.env.get("SUPABASE_DB_URL");
  if (!databaseUrl) throw new Error("SUPABASE_DB_URL is not set: run it through `npm test`");
  for (const [path, generated] of Object.entries(await generatedFiles(databaseUrl))) {
    const committed = await Deno.readTextFile(join(repoRoot, path)).catch(() => "");
    assert.ok(
      committed === generated,
      `${path} differs from the database (${
        firstDifference(generated, committed)
      }): run \`npm run gen\` and commit the result`,
    );
  }
});
