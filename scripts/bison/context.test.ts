// Which project the CLI acts on: the environment's or the local stack's, never a mix.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describeTarget, readSettings } from "./context.ts";

const keys = [
  "SUPABASE_DB_URL",
  "SUPABASE_FUNCTIONS_URL",
  "CRON_SECRET",
  "SUPABASE_URL",
  "SUPABASE_SERVICE_ROLE_KEY",
];

async function withEnvironment(values: Record<string, string>, body: () => Promise<void>) {
  const saved = Object.fromEntries(keys.map((key) => [key, Deno.env.get(key)]));
  for (const key of keys) Deno.env.delete(key);
  for (const [key, value] of Object.entries(values)) Deno.env.set(key, value);
  try {
    await body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) Deno.env.delete(key);
      else Deno.env.set(key, value);
    }
  }
}

async function localStackEnv(): Promise<string> {
  const file = join(await Deno.makeTempDir(), "stack.env");
  await Deno.writeTextFile(
    file,
    [
      "SUPABASE_DB_URL=postgresql://postgres:fake-local-password@127.0.0.1:54322/postgres",
      "SUPABASE_FUNCTIONS_URL=http://127.0.0.1:54321/functions/v1",
      "CRON_SECRET=fake-local-cron-secret",
      "SUPABASE_URL=http://127.0.0.1:54321",
      "SUPABASE_SERVICE_ROLE_KEY=fake-local-service-key",
      "",
    ].join("\n"),
  );
  return file;
}

Deno.test("a hosted database in the environment takes nothing from the local stack", async () => {
  const file = await localStackEnv();
  await withEnvironment({
    SUPABASE_DB_URL: "postgresql://postgres:fake-password@db.example.supabase.co:5432/postgres",
    SUPABASE_FUNCTIONS_URL: "https://example.supabase.co/functions/v1/",
  }, async () => {
    const settings = await readSettings(file);
    assert.equal(settings.source, "environment");
    assert.equal(settings.functionsUrl, "https://example.supabase.co/functions/v1");
    assert.equal(settings.cronSecret, undefined);
    assert.equal(settings.supabaseUrl, undefined);
    assert.equal(settings.serviceRoleKey, undefined);
    assert.equal(describeTarget(settings), "db.example.supabase.co:5432 (environment)");
  });
});

Deno.test("without one, the local stack's settings are used, and the environment overrides them", async () => {
  const file = await localStackEnv();
  await withEnvironment({ CRON_SECRET: "fake-overriding-secret" }, async () => {
    const settings = await readSettings(file);
    assert.equal(settings.source, "local stack");
    assert.equal(settings.supabaseUrl, "http://127.0.0.1:54321");
    assert.equal(settings.cronSecret, "fake-overriding-secret");
    assert.equal(describeTarget(settings), "127.0.0.1:54322 (local stack)");
    assert.ok(!describeTarget(settings).includes("fake-local-password"));
  });
});
