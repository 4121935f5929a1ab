import assert from "node:assert/strict";
import { join } from "node:path";
import { functionUpload, materialiseUpload } from "./function-upload.ts";

/** Runs `body` on a throwaway project (files by path relative to it), removed afterwards. */
async function withProject(
  files: Record<string, string>,
  body: (root: string, layout: { root: string; configPath: string }) => Promise<void> | void,
) {
  const root = await Deno.makeTempDir({ prefix: "function-upload-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    await body(root, { root, configPath: join(root, "supabase", "config.toml") });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("the upload holds the entrypoint, its import map and every file reached by relative imports", async () => {
  await withProject({
    "supabase/config.toml": "[functions.hello]\nverify_jwt = false\n",
    "supabase/functions/hello/deno.json": JSON.stringify({
      imports: { "zod": "npm:zod@4.6.7", "@shared/": "../_shared/" },
    }),
    "supabase/functions/hello/index.ts": [
      'import { z } from "zod";',
      "import {",
      "  one,",
      "  two,",
      '} from "./names.ts";',
      'export * from "../_shared/reexported.ts";',
      'import "@shared/mapped.ts";',
      'const lazy = await import("./lazy.ts");',
      'import "./gone.ts";',
    ].join("\n"),
    "supabase/functions/hello/names.ts": 'import type { T } from "./types.ts";',
    "supabase/functions/hello/types.ts": "export type T = 1;",
    "supabase/functions/hello/lazy.ts": "",
    "supabase/functions/hello/unused.ts": "",
    "supabase/functions/_shared/reexported.ts": 'import "node:crypto";',
    "supabase/functions/_shared/mapped.ts": "",
    "supabase/functions/_shared/unrelated.ts": "",
    "deno.json": JSON.stringify({ imports: { "zod": "npm:zod@4.6.7" } }),
  }, async (root, layout) => {
    const upload = functionUpload("hello", join(root, "supabase/functions/hello"), layout);
    assert.deepEqual(upload, {
      name: "hello",
      entrypoint: "supabase/functions/hello/index.ts",
      importMap: "supabase/functions/hello/deno.json",
      files: [
        "supabase/functions/_shared/mapped.ts",
        "supabase/functions/_shared/reexported.ts",
        "supabase/functions/hello/deno.json",
        "supabase/functions/hello/index.ts",
        "supabase/functions/hello/lazy.ts",
        "supabase/functions/hello/names.ts",
        "supabase/functions/hello/types.ts",
      ],
      verifyJwt: false,
    });

    const parent = await Deno.makeTempDir({ prefix: "function-upload-run-" });
    try {
      const run = materialiseUpload(
        "hello",
        join(root, "supabase/functions/hello"),
        parent,
        layout,
      );
      assert.equal(run.entrypoint, join(run.dir, "supabase/functions/hello/index.ts"));
      assert.equal(run.importMap, join(run.dir, "supabase/functions/hello/deno.json"));
      const copied: string[] = [];
      const walk = (dir: string, prefix: string) => {
        for (const entry of Deno.readDirSync(dir)) {
          if (entry.isDirectory) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
          else copied.push(`${prefix}${entry.name}`);
        }
      };
      walk(run.dir, "");
      assert.deepEqual(copied.sort(), upload.files, "only the upload, never the root deno.json");
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  });
});

Deno.test("the import map is config.toml's, else the folder's deno.json, else the shared fallback, else none", async () => {
  await withProject({
    "supabase/config.toml": '[functions.configured]\nimport_map = "./maps/configured.json"\n',
    "supabase/maps/configured.json": "{}",
    "supabase/functions/configured/index.ts": "",
    "supabase/functions/configured/deno.json": "{}",
    "supabase/functions/own/index.ts": "",
    "supabase/functions/own/deno.json": "{}",
    "supabase/functions/own/import_map.json": "{}",
    "supabase/functions/fallback/index.ts": "",
    "supabase/functions/import_map.json": "{}",
  }, async (root, layout) => {
    const mapOf = (name: string) =>
      functionUpload(name, join(root, "supabase/functions", name), layout).importMap;
    assert.equal(mapOf("configured"), "supabase/maps/configured.json");
    assert.equal(mapOf("own"), "supabase/functions/own/deno.json");
    assert.equal(mapOf("fallback"), "supabase/functions/import_map.json");
    await Deno.remove(join(root, "supabase/functions/import_map.json"));
    assert.equal(mapOf("fallback"), undefined);
  });
});

Deno.test("a function importing a file outside the project is refused with a clear error", async () => {
  await withProject({
    "supabase/config.toml": "",
    "supabase/functions/leaky/index.ts": 'import "../../../../outside.ts";',
  }, (root, layout) => {
    assert.throws(
      () => functionUpload("leaky", join(root, "supabase/functions/leaky"), layout),
      /outside the project directory .*: deploy cannot upload it/,
    );
  });
});
