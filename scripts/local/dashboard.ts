// The dashboard on the local stacks: built with Vite from dashboard/ (again only when its sources
// or the lock file changed) and served as the static files they are, by a small server that
// writes config.json from the stack's settings, as an operator writes it beside a hosted build.
import { join, normalize, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "./config.ts";

export const dashboardDir = join(repoRoot, "dashboard");
/** `npm start`'s dashboard, on a port of its own beside the dev stack's. */
export const devDashboardPort = 54330;

/** A demo login that sees the demo workspaces as a member (not an agency admin): local only. */
export const demoUser = {
  email: "demo.viewer@example.test",
  password: "demo-password-not-a-secret",
} as const;

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name === "dist" || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.isFile) files.push(path);
  }
  return files.sort();
}

/** A digest of everything the build reads: the dashboard's sources and the pinned packages. */
async function sourceDigest(): Promise<string> {
  const files = [...await sourceFiles(dashboardDir), join(repoRoot, "package-lock.json")];
  const parts = await Promise.all(
    files.map(async (file) => [new TextEncoder().encode(`${file}\0`), await Deno.readFile(file)]),
  );
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await new Blob(parts.flat() as BlobPart[]).arrayBuffer(),
  );
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Builds the dashboard into outDir with the pinned Vite, unless the build there was made from the
 * same sources. Returns whether it built.
 */
export async function buildDashboard(outDir: string): Promise<boolean> {
  const stampFile = join(outDir, ".build-stamp");
  const digest = await sourceDigest();
  try {
    if ((await Deno.readTextFile(stampFile)).trim() === digest) return false;
  } catch { /* no build yet */ }
  const output = await new Deno.Command(join(repoRoot, "node_modules", ".bin", "vite"), {
    args: [
      "build",
      "--config",
      join(dashboardDir, "vite.config.mts"),
      "--outDir",
      outDir,
      "--emptyOutDir",
      "--logLevel",
      "warn",
    ],
    cwd: repoRoot,
    env: { VITE_CONFIG_NATIVE_IGNORE_WARNING: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const said = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
    throw new Error(`the dashboard build (vite build) failed:\n${said.trim()}`);
  }
  await Deno.writeTextFile(stampFile, digest + "\n");
  return true;
}

/** What config.json holds: the project the dashboard talks to (docs/dashboard.md). */
export interface DashboardSettings {
  supabaseUrl: string;
  supabaseAnonKey: string;
}

const contentTypes: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
  map: "application/json",
};

/** Serves a build as any static host would, plus config.json written from the settings. */
export function dashboardHandler(dir: string, settings: DashboardSettings) {
  const root = resolve(dir);
  const config = JSON.stringify(settings, null, 2) + "\n";
  return async (request: Request): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const common = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" };
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return new Response("bad path\n", { status: 400, headers: common });
    }
    if (path === "/config.json") {
      return new Response(config, {
        headers: { ...common, "content-type": contentTypes.json, "cache-control": "no-store" },
      });
    }
    const file = resolve(root, "." + normalize(path === "/" ? "/index.html" : path));
    // Nothing outside the build, and no dot-files (the build stamp) from inside it.
    const inside = file.startsWith(root + sep) ? file.slice(root.length + 1) : null;
    if (inside === null || inside.split(sep).some((part) => part.startsWith("."))) {
      return new Response("not found\n", { status: 404, headers: common });
    }
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await Deno.readFile(file);
    } catch {
      return new Response("not found\n", { status: 404, headers: common });
    }
    const extension = file.slice(file.lastIndexOf(".") + 1);
    return new Response(request.method === "HEAD" ? null : body, {
      headers: {
        ...common,
        "content-type": contentTypes[extension] ?? "application/octet-stream",
        // Vite names assets by their content: they never change under one name.
        "cache-control": path.startsWith("/assets/")
          ? "public, max-age=31536000, immutable"
          : "no-cache",
      },
    });
  };
}

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/** A static server for a build on 127.0.0.1 (port 0: a free one). */
export function serveDashboard(
  dir: string,
  settings: DashboardSettings,
  port = 0,
): DashboardServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    dashboardHandler(dir, settings),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

// `npm start` runs this file as the dashboard's service: --port, --dir, and the stack's
// SUPABASE_URL and SUPABASE_ANON_KEY in the environment.
if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { port: { type: "string" }, dir: { type: "string" } },
  });
  const supabaseUrl = Deno.env.get("SUPABASE_URL");
  const supabaseAnonKey = Deno.env.get("SUPABASE_ANON_KEY");
  if (!values.port || !values.dir || !supabaseUrl || !supabaseAnonKey) {
    console.error("usage: SUPABASE_URL=... SUPABASE_ANON_KEY=... dashboard.ts --port N --dir DIR");
    Deno.exit(2);
  }
  const served = serveDashboard(values.dir, { supabaseUrl, supabaseAnonKey }, Number(values.port));
  console.error(`dashboard: serving ${values.dir} on ${served.url}`);
}
