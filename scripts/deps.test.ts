import assert from "node:assert/strict";
import { auditImportMaps, importMapFiles, withVersion } from "./deps.ts";

Deno.test("every import map (root and each function's) pins each npm package at one exact version", () => {
  const files = importMapFiles();
  assert.ok(files.some((file) => file.path === "deno.json"));
  assert.ok(files.some((file) => file.path === "supabase/functions/insights/deno.json"));
  const { packages, problems } = auditImportMaps(files);
  assert.deepEqual(problems, []);
  assert.ok(packages.some((entry) => entry.name === "@supabase/supabase-js"));
  // The dashboard's build (package.json) uses the same supabase-js as the functions and tests.
  assert.ok(
    packages.some((entry) =>
      entry.path === "package.json" && entry.name === "@supabase/supabase-js"
    ),
  );
});

Deno.test("package.json's pins join the audit: exact versions, one version per package", () => {
  const { problems } = auditImportMaps([
    { path: "deno.json", text: '{"imports": {"zod": "npm:zod@4.6.7"}}' },
    { path: "package.json", text: '{"devDependencies": {"zod": "4.6.8", "vite": "^8.4.0"}}' },
  ]);
  assert.deepEqual(problems, [
    "package.json: vite@^8.4.0 is not an exact version",
    "zod is pinned at 4.6.7 and 4.6.8 (deno.json 4.6.7, package.json 4.6.8)",
  ]);
  assert.equal(
    withVersion('{"devDependencies": {"zod": "4.6.8", "zod-extra": "1.0.0"}}', "zod", "4.6.9"),
    '{"devDependencies": {"zod": "4.6.9", "zod-extra": "1.0.0"}}',
  );
});

Deno.test("the audit names a package pinned at two versions, a range, a non-npm import and extra keys", () => {
  const { problems } = auditImportMaps([
    { path: "deno.json", text: '{"imports": {"zod": "npm:zod@4.6.7"}, "fmt": {}}' },
    {
      path: "supabase/functions/a/deno.json",
      text: '{"imports": {"zod": "npm:zod@4.6.8", "x": "https://example.test/x.ts"}}',
    },
    {
      path: "supabase/functions/b/deno.json",
      text: '{"imports": {"postgres": "npm:postgres@^3.4.0"}, "compilerOptions": {}}',
    },
  ]);
  assert.deepEqual(problems, [
    'supabase/functions/a/deno.json: "x" is https://example.test/x.ts, not a pinned npm: package',
    "supabase/functions/b/deno.json: a function's map holds imports only, not compilerOptions",
    "supabase/functions/b/deno.json: postgres@^3.4.0 is not an exact version",
    "zod is pinned at 4.6.7 and 4.6.8 (deno.json 4.6.7, supabase/functions/a/deno.json 4.6.8)",
  ]);
});

Deno.test("set changes only the named package, subpaths included, and keeps the layout", () => {
  const text = `{
  "imports": {
    "@supabase/supabase-js": "npm:@supabase/supabase-js@2.119.1",
    "zod": "npm:zod@4.6.7",
    "zod/mini": "npm:zod@4.6.7/mini",
    "zod-extra": "npm:zod-extra@1.0.0"
  }
}
`;
  assert.equal(
    withVersion(text, "zod", "4.6.8"),
    text.replaceAll("npm:zod@4.6.7", "npm:zod@4.6.8"),
  );
  assert.equal(
    withVersion(text, "@supabase/supabase-js", "2.120.0"),
    text.replace("supabase-js@2.119.1", "supabase-js@2.120.0"),
  );
});

Deno.test("npm run deps -- --help prints the usage and succeeds; an unknown command is exit 2", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "scripts/deps.ts", ...args],
      cwd: new URL("..", import.meta.url).pathname,
    }).output();
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /^usage: npm run deps/);
  const unknown = await run(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(new TextDecoder().decode(unknown.stderr), /^usage: npm run deps/);
});
