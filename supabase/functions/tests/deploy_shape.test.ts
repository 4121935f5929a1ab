// The deploy shape: the pinned CLI's `supabase functions deploy --use-api` runs against a local
// stand-in of the Management API, and what it uploads for each function must (1) type-check on
// its own, rebuilt in an empty directory with `deno check --no-config` and the uploaded import map
// only, as the hosted bundler sees it, (2) carry config.toml's verify_jwt, and (3) be exactly the
// files and import map the local gateway runs the function from (scripts/local/function-upload.ts).
import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { repoRoot, stackConfig, supabaseCli } from "../../../scripts/local/config.ts";
import { discoverFunctions } from "../../../scripts/local/gateway.ts";
import {
  denoCaStore,
  functionUpload,
  moduleResolutionArgs,
  projectLayout,
  readFunctionSettings,
} from "../../../scripts/local/function-upload.ts";
import {
  startManagementApi,
  type UploadedFunction,
} from "../../../scripts/local/management-api.ts";

// Obviously fake: they only ever reach the stand-in on 127.0.0.1.
const projectRef = "localdeployshapetest";
const accessToken = `sbp_${"0".repeat(40)}`;

/**
 * Deploys a copy of the project (config.toml and supabase/functions, without .env files) with the
 * pinned CLI, pointed at the stand-in through a CLI profile of its own. Returns what was uploaded.
 */
async function deployWithPinnedCli(): Promise<Map<string, UploadedFunction>> {
  const api = startManagementApi({ projectRef, accessToken });
  const scratch = await Deno.makeTempDir({ prefix: "deploy-shape-" });
  try {
    const project = join(scratch, "project");
    const supabaseDir = join(project, "supabase");
    await Deno.mkdir(supabaseDir, { recursive: true });
    await Deno.copyFile(projectLayout.configPath, join(supabaseDir, "config.toml"));
    await cp(join(repoRoot, "supabase", "functions"), join(supabaseDir, "functions"), {
      recursive: true,
      filter: (path) => !basename(path).startsWith(".env"),
    });
    // A fresh "latest version seen" stamp, so the CLI asks no release server whether it is the
    // newest, and the linked project's cache `supabase link` writes, so its telemetry asks the
    // stand-in for no project details.
    const cliState = join(supabaseDir, ".temp");
    await Deno.mkdir(cliState);
    await Deno.writeTextFile(join(cliState, "cli-latest"), "v0.0.0");
    await Deno.writeTextFile(
      join(cliState, "linked-project.json"),
      JSON.stringify({ ref: projectRef, name: "deploy shape", organization_id: "local" }),
    );
    const home = join(scratch, "home");
    await Deno.mkdir(home);
    const profile = join(scratch, "profile.json");
    await Deno.writeTextFile(
      profile,
      JSON.stringify({
        name: "management-api-stand-in",
        api_url: api.url,
        dashboard_url: `${api.url}/dashboard`,
        project_host: "localhost",
      }),
    );

    const output = await new Deno.Command(supabaseCli, {
      args: [
        "functions",
        "deploy",
        "--use-api",
        "--project-ref",
        projectRef,
        "--profile",
        profile,
        "--workdir",
        project,
      ],
      cwd: project,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: home,
        SUPABASE_ACCESS_TOKEN: accessToken,
        SUPABASE_TELEMETRY_DISABLED: "1",
        DO_NOT_TRACK: "1",
      },
      stdin: "null",
    }).output();
    const printed = new TextDecoder().decode(output.stdout) +
      new TextDecoder().decode(output.stderr);
    assert.ok(output.success, `supabase functions deploy failed:\n${printed}`);
    assert.deepEqual(api.unexpected, [], `the CLI asked the stand-in for more:\n${printed}`);
    return api.deployed;
  } finally {
    await api.close();
    await Deno.remove(scratch, { recursive: true });
  }
}

/**
 * Rebuilds an upload in an emptied directory and type-checks it with nothing but its import map.
 * The directory's path is the same on every run (per test stack), so Deno's type-check cache
 * spares the work while the upload is unchanged.
 */
async function checkAlone(uploaded: UploadedFunction): Promise<string | null> {
  const dir = join(stackConfig("test").dir, "deploy-shape", uploaded.slug);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  try {
    for (const [path, bytes] of uploaded.files) {
      await Deno.mkdir(join(dir, dirname(path)), { recursive: true });
      await Deno.writeFile(join(dir, path), bytes);
    }
    const importMap = uploaded.metadata.import_map_path
      ? join(dir, uploaded.metadata.import_map_path)
      : undefined;
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "check",
        ...moduleResolutionArgs(importMap),
        join(dir, uploaded.metadata.entrypoint_path),
      ],
      cwd: dir,
      env: { NO_COLOR: "1", DENO_TLS_CA_STORE: denoCaStore },
      stdin: "null",
    }).output();
    return output.success ? null : new TextDecoder().decode(output.stderr).trim();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("functions deploy --use-api uploads, per function, exactly what the gateway runs, and it type-checks alone", async (t) => {
  const deployed = await deployWithPinnedCli();
  const functions = discoverFunctions([join(repoRoot, "supabase", "functions")]);
  assert.deepEqual(
    [...deployed.keys()].sort(),
    [...functions.keys()].sort(),
    "deploy sends every function the gateway serves, and nothing else",
  );
  const settings = readFunctionSettings(projectLayout.configPath);

  // Type-checking is the slow part: every function at once, the assertions after.
  const checks = new Map(
    [...deployed].map(([name, uploaded]) => [name, checkAlone(uploaded)]),
  );
  try {
    for (const [name, uploaded] of [...deployed].sort(([a], [b]) => a.localeCompare(b))) {
      await t.step(name, async () => {
        assert.equal(
          uploaded.metadata.verify_jwt,
          settings[name]?.verify_jwt ?? true,
          `${name}: verify_jwt uploaded differs from supabase/config.toml`,
        );
        const local = functionUpload(name, dirname(functions.get(name)!));
        assert.equal(uploaded.metadata.entrypoint_path, local.entrypoint);
        assert.equal(
          uploaded.metadata.import_map_path || undefined,
          local.importMap,
          `${name}: the import map deploy chose is not the one the gateway runs with`,
        );
        assert.deepEqual(
          [...uploaded.files.keys()].sort(),
          local.files,
          `${name}: the files deploy uploads are not the ones the gateway runs from`,
        );
        const failure = await checks.get(name)!;
        assert.equal(
          failure,
          null,
          `${name}: the uploaded files do not type-check with only the uploaded import map ` +
            `(${uploaded.metadata.import_map_path || "none"}):\n${failure}`,
        );
      });
    }
  } finally {
    await Promise.allSettled(checks.values());
  }
});
