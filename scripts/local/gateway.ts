// The local stand-in for Supabase's functions gateway: serves every function folder under
// /functions/v1/<name>/..., enforces verify_jwt per function from supabase/config.toml, and runs
// each function in its own Deno process with only the environment the hosted runtime provides,
// handing it the same path the hosted runtime does (/<name>/...). A function runs from a copy of
// exactly what `supabase functions deploy` uploads for it, resolving modules with only the import
// map deploy sends (function-upload.ts): what would not deploy does not run here either.
import { dirname, join } from "node:path";
import { readEnvFile, repoRoot, watchedToml } from "./config.ts";
import { verifyJwt } from "./jwt.ts";
import { localApiServices, stackApiContext } from "./api-services.ts";
import {
  denoCaStore,
  materialiseUpload,
  moduleResolutionArgs,
  projectLayout,
} from "./function-upload.ts";

/**
 * A client API the stack serves beside the functions, on the same origin as hosted Supabase does
 * (`/auth/v1`, `/rest/v1`, `/realtime/v1`): requests whose path starts with `prefix` go to it.
 */
export interface ApiService {
  /** A path prefix such as "/auth/v1" (no trailing slash). */
  prefix: string;
  /**
   * Paths (prefixes, as the platform's routes match) the gateway serves without an API key, such
   * as Auth's JWKS. Every other request needs the project's key, as on hosted Supabase.
   */
  openPaths?: string[];
  handle(request: Request): Response | Promise<Response>;
  close?(): Promise<void>;
}

export interface GatewayOptions {
  /** Client APIs served beside the functions; each owns the paths under its prefix. */
  services?: ApiService[];
  /** 0 picks a free port. */
  port: number;
  jwtSecret: string;
  /**
   * The project's API keys (anon, service_role): client APIs refuse a request without one of them
   * (none given: every request to a client API is refused).
   */
  apiKeys?: string[];
  /**
   * Environment every function receives (SUPABASE_DB_URL, keys, secrets...). SUPABASE_URL, when
   * absent, is the gateway's own URL: the project URL a function calls back (Auth, say).
   */
  env: Record<string, string>;
  /** Folders whose sub-folders are functions; defaults to supabase/functions. */
  functionDirs?: string[];
  configPath?: string;
  log?: (line: string) => void;
  /** Told the process id of every function worker it starts (benchmarks read its /proc). */
  onWorker?: (name: string, pid: number) => void;
}

export interface Gateway {
  url: string;
  port: number;
  functionNames(): string[];
  close(): Promise<void>;
}

interface FunctionWorker {
  origin: string;
  process: Deno.ChildProcess;
}

const denoBinary = Deno.execPath();

/** Folders with an index.ts, minus shared code and tests, as `supabase functions deploy` sees. */
export function discoverFunctions(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of dirs) {
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      const entrypoint = join(dir, entry.name, "index.ts");
      try {
        Deno.statSync(entrypoint);
        found.set(entry.name, entrypoint);
      } catch { /* not a function: tests, fixtures' parents, ... */ }
    }
  }
  return found;
}

/**
 * verify_jwt per function from config.toml (Supabase's default is on), read again whenever the
 * file changes so an edit applies without restarting the stack.
 */
export function readVerifyJwt(configPath: string): (name: string) => boolean {
  const config = watchedToml<{ functions?: Record<string, { verify_jwt?: boolean }> }>(configPath);
  return (name) => config().functions?.[name]?.verify_jwt ?? true;
}

// A small body of known length is passed on whole: streaming it costs the gateway more CPU than
// the rest of the request. Anything larger or of unknown length (event streams) is streamed.
const bufferLimitBytes = 4 * 1024 * 1024;

function bufferedIfSmall(
  message: Request | Response,
): Promise<ArrayBuffer> | ReadableStream | null {
  const declared = Number(message.headers.get("content-length") ?? "NaN");
  return declared <= bufferLimitBytes ? message.arrayBuffer() : message.body;
}

function jsonError(status: number, message: string): Response {
  return Response.json({ code: status, message }, { status });
}

/**
 * The platform gateway's key check in front of the client APIs: an `apikey` header (or query
 * parameter, as realtime-js sends it) holding one of the project's keys, with hosted's answers.
 */
export function apiKeyRefusal(request: Request, url: URL, apiKeys: string[]): Response | null {
  const key = request.headers.get("apikey") ?? url.searchParams.get("apikey");
  if (key === null || key === "") {
    return Response.json({
      message: "No API key found in request",
      hint: "No `apikey` request header or url param was found.",
    }, { status: 401 });
  }
  if (!apiKeys.includes(key)) {
    return Response.json({
      message: "Invalid API key",
      hint: "Double check your Supabase `anon` or `service_role` API key.",
    }, { status: 401 });
  }
  return null;
}

export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? ((line: string) => console.error(line));
  const functionDirs = options.functionDirs ?? [join(repoRoot, "supabase", "functions")];
  const verifyJwtFor = readVerifyJwt(
    options.configPath ?? join(repoRoot, "supabase", "config.toml"),
  );
  const services = options.services ?? [];
  const workers = new Map<string, Promise<FunctionWorker>>();
  const abort = new AbortController();
  // Which functions exist is read once and again only after a change under the function folders.
  let functions: Map<string, string> | null = null;
  const knownFunctions = () => functions ??= discoverFunctions(functionDirs);

  // Like `supabase functions serve`, a change to any function's code, shared code or import map
  // takes effect on the next request: running workers are stopped and start again lazily.
  const watcher = Deno.watchFs(functionDirs, { recursive: true });
  (async () => {
    for await (const event of watcher) {
      functions = null;
      if (!event.paths.some((path) => /\.(ts|json|jsonc)$/.test(path))) continue;
      for (const [name, worker] of [...workers]) {
        workers.delete(name);
        worker.then((w) => w.process.kill("SIGTERM")).catch(() => {});
      }
    }
  })().catch(() => {});

  // Each worker runs from its own copy of what deploy uploads, removed when it exits.
  const layout = { ...projectLayout, configPath: options.configPath ?? projectLayout.configPath };
  let runRoot: string | undefined;

  function spawnWorker(name: string, entrypoint: string): Promise<FunctionWorker> {
    // Assigned below; the exit handler compares against it.
    // deno-lint-ignore prefer-const
    let self: Promise<FunctionWorker>;
    const env: Record<string, string> = {
      SUPABASE_URL: `http://127.0.0.1:${port}`,
      ...options.env,
      DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
      NO_COLOR: "1",
      SB_FUNCTION_NAME: name,
    };
    for (const key of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "LANG"]) {
      const value = Deno.env.get(key);
      if (value !== undefined && env[key] === undefined) env[key] = value;
    }
    // Without the repository's lock file a function resolves its npm packages as deploy's bundler
    // does, so its first start may fetch some: trust the machine's CA store for that as well.
    env.DENO_TLS_CA_STORE ??= denoCaStore;
    runRoot ??= Deno.makeTempDirSync({ prefix: "functions-gateway-" });
    const run = materialiseUpload(name, dirname(entrypoint), runRoot, layout);
    const process = new Deno.Command(denoBinary, {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        `--allow-read=${run.dir}`,
        "--allow-sys",
        "--no-prompt",
        ...moduleResolutionArgs(run.importMap),
        run.entrypoint,
      ],
      cwd: run.dir,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    options.onWorker?.(name, process.pid);
    self = new Promise<FunctionWorker>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) {
          reject(new Error(`function ${name} did not start listening within 30 s`));
          process.kill("SIGKILL");
        }
      }, 30_000);
      const pump = async (stream: ReadableStream<Uint8Array>) => {
        const lines = stream.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines());
        for await (const line of lines) {
          const listening = line.match(/^Listening on (http:\/\/127\.0\.0\.1:\d+)\/?/);
          if (listening && !ready) {
            ready = true;
            clearTimeout(timer);
            resolve({ origin: listening[1], process });
          } else if (line.length > 0) {
            log(`[${name}] ${line}`);
          }
        }
      };
      pump(process.stdout);
      pump(process.stderr);
      process.status.then((status) => {
        // Only forget this worker: after a reload, the map may already hold its replacement.
        if (workers.get(name) === self) workers.delete(name);
        clearTimeout(timer);
        Deno.remove(run.dir, { recursive: true }).catch(() => {});
        if (!ready) {
          reject(new Error(`function ${name} exited (code ${status.code}) before serving`));
        } else if (!abort.signal.aborted) log(`[${name}] exited with code ${status.code}`);
      });
    });
    return self;
  }

  function workerFor(name: string, entrypoint: string): Promise<FunctionWorker> {
    let worker = workers.get(name);
    if (!worker) {
      worker = spawnWorker(name, entrypoint);
      workers.set(name, worker);
      worker.catch(() => workers.delete(name));
    }
    return worker;
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    const service = services.find((candidate) =>
      url.pathname === candidate.prefix || url.pathname.startsWith(`${candidate.prefix}/`)
    );
    if (service) {
      const open = request.method === "OPTIONS" ||
        (service.openPaths ?? []).some((path) => url.pathname.startsWith(path));
      const refusal = open ? null : apiKeyRefusal(request, url, options.apiKeys ?? []);
      return refusal ?? await service.handle(request);
    }
    const match = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    if (!match) {
      const served = ["/functions/v1", ...services.map((candidate) => candidate.prefix)];
      return jsonError(404, `Not found: this stack serves ${served.join(", ")}`);
    }
    const [, name, rest = ""] = match;
    const entrypoint = knownFunctions().get(name);
    if (!entrypoint) return jsonError(404, `Function not found: ${name}`);

    if (verifyJwtFor(name) && request.method !== "OPTIONS") {
      const authorization = request.headers.get("authorization");
      if (!authorization) return jsonError(401, "Missing authorization header");
      const token = authorization.replace(/^Bearer\s+/i, "");
      if (!(await verifyJwt(token, options.jwtSecret))) return jsonError(401, "Invalid JWT");
    }

    let worker: FunctionWorker;
    try {
      worker = await workerFor(name, entrypoint);
    } catch (error) {
      log(`[gateway] ${(error as Error).message}`);
      return jsonError(503, `Function failed to start: ${name}`);
    }
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    try {
      const upstream = await fetch(`${worker.origin}/${name}${rest}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: hasBody ? await bufferedIfSmall(request) : undefined,
        redirect: "manual",
      });
      const headers = new Headers(upstream.headers);
      headers.delete("content-encoding");
      headers.delete("content-length");
      return new Response(await bufferedIfSmall(upstream), { status: upstream.status, headers });
    } catch (error) {
      log(`[gateway] ${name}: ${(error as Error).message}`);
      return jsonError(502, `Function did not answer: ${name}`);
    }
  }

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    signal: abort.signal,
    onListen: () => {},
  }, handle);
  const port = server.addr.port;

  return Promise.resolve({
    url: `http://127.0.0.1:${port}`,
    port,
    functionNames: () => [...knownFunctions().keys()].sort(),
    async close() {
      // Services first: an upgraded WebSocket must be closed before the server stops.
      for (const service of services) await service.close?.();
      abort.abort();
      watcher.close();
      const running = await Promise.allSettled([...workers.values()]);
      for (const result of running) {
        if (result.status === "fulfilled") {
          try {
            result.value.process.kill("SIGTERM");
          } catch { /* already exited */ }
          await result.value.process.status;
        }
      }
      await server.finished;
      if (runRoot) await Deno.remove(runRoot, { recursive: true }).catch(() => {});
    },
  });
}

function splitLines(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) controller.enqueue(line);
    },
    flush(controller) {
      if (buffer) controller.enqueue(buffer);
    },
  });
}

if (import.meta.main) {
  const required = [
    "SUPABASE_JWT_SECRET",
    "SUPABASE_DB_URL",
    "SUPABASE_URL",
    "SUPABASE_SIGNING_KEYS_FILE",
    "PLATFORM_DB_URL",
  ];
  const missing = required.filter((key) => !Deno.env.get(key));
  if (missing.length) {
    console.error(`gateway: missing environment: ${missing.join(", ")}`);
    Deno.exit(2);
  }
  const port = Number(Deno.env.get("GATEWAY_PORT") ?? "54321");
  const passThrough = [
    "SUPABASE_URL",
    "SUPABASE_DB_URL",
    "SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
    "CRON_SECRET",
    "DB_POOLER_URL",
  ];
  const env: Record<string, string> = {};
  for (const key of passThrough) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  const projectEnvFile = Deno.env.get("FUNCTIONS_ENV_FILE");
  if (projectEnvFile) Object.assign(env, await readEnvFile(projectEnvFile));
  const functionDirs = Deno.env.get("FUNCTIONS_DIRS")?.split(":").filter(Boolean);
  const jwtSecret = Deno.env.get("SUPABASE_JWT_SECRET")!;
  const services = await localApiServices(
    await stackApiContext({
      databaseUrl: Deno.env.get("SUPABASE_DB_URL")!,
      platformDatabaseUrl: Deno.env.get("PLATFORM_DB_URL")!,
      apiUrl: Deno.env.get("SUPABASE_URL")!,
      jwtSecret,
      signingKeysFile: Deno.env.get("SUPABASE_SIGNING_KEYS_FILE")!,
      log: (line) => console.error(line),
    }),
  );
  const gateway = await startGateway({
    services,
    port,
    jwtSecret,
    apiKeys: ["SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"]
      .map((key) => Deno.env.get(key) ?? "").filter(Boolean),
    env,
    ...(functionDirs?.length ? { functionDirs } : {}),
  });
  console.error(`gateway: serving ${gateway.functionNames().join(", ")} on ${gateway.url}`);
  const shutdown = async () => {
    await gateway.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", shutdown);
  Deno.addSignalListener("SIGINT", shutdown);
}
