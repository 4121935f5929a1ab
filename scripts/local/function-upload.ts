// What `supabase functions deploy --use-api` (the pinned CLI) sends for one function, computed
// the way the CLI computes it, so the local gateway can run each function from exactly that: the
// entrypoint, every file reached from it by relative imports, and the import map the CLI picks.
// Nothing else of the repository (the root deno.json above all) exists for a deployed function.
//
// The CLI's rules (supabase/cli, pkg/function and internal/functions/deploy):
// - entrypoint: `[functions.<name>] entrypoint` in config.toml (relative to supabase/), else
//   <function folder>/index.ts;
// - import map: `[functions.<name>] import_map` (relative to supabase/), else deno.json,
//   deno.jsonc or import_map.json in the entrypoint's folder, else supabase/functions/
//   import_map.json; none at all is possible;
// - files: a textual scan of every uploaded file for `import`/`export ... from "<x>"` and
//   `import("<x>")`; a specifier that, after import-map prefix substitution, is a path with an
//   extension starting with ./, ../ or / is uploaded and scanned in turn. Anything else (npm:,
//   node:, bare names) is left to the import map and the server. A missing file is skipped.
//
// Paths are relative to the project directory (the one holding supabase/), as the CLI sends them.
// The deploy-shape test (supabase/functions/tests/deploy_shape.test.ts) runs the real CLI and
// fails when its upload differs from what this module computes.
import { dirname, extname, isAbsolute, join, normalize, posix, relative, sep } from "node:path";
import { parse as parseToml } from "smol-toml";
import { repoRoot } from "./config.ts";

/** The per-function settings of config.toml that deploy reads. */
export interface FunctionSettings {
  verify_jwt?: boolean;
  import_map?: string;
  entrypoint?: string;
  static_files?: string[];
}

export interface FunctionUpload {
  name: string;
  /** The entrypoint, relative to the project directory (POSIX separators). */
  entrypoint: string;
  /** The import map deploy sends, relative to the project directory; undefined when none. */
  importMap?: string;
  /** Every uploaded file, relative to the project directory: entrypoint, import map, imports. */
  files: string[];
  /** verify_jwt deploy sends (Supabase's default is on). */
  verifyJwt: boolean;
}

export interface ProjectLayout {
  /** The project directory: the parent of supabase/. */
  root: string;
  /** supabase/config.toml. */
  configPath: string;
}

export const projectLayout: ProjectLayout = {
  root: repoRoot,
  configPath: join(repoRoot, "supabase", "config.toml"),
};

/** The `[functions.*]` tables of a config.toml. */
export function readFunctionSettings(configPath: string): Record<string, FunctionSettings> {
  const config = parseToml(Deno.readTextFileSync(configPath)) as {
    functions?: Record<string, FunctionSettings>;
  };
  return config.functions ?? {};
}

const toPosix = (path: string) => path.split(sep).join("/");

/** A path relative to the project directory; refuses one outside it (deploy could not send it). */
function projectPath(root: string, path: string): string {
  const inside = relative(root, path);
  if (inside.startsWith("..") || isAbsolute(inside)) {
    throw new Error(`${path} is outside the project directory ${root}: deploy cannot upload it`);
  }
  return toPosix(inside);
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The import map deploy picks for a function whose entrypoint lies in `entryDir` (absolute). */
function chooseImportMap(
  entryDir: string,
  settings: FunctionSettings,
  layout: ProjectLayout,
): string | undefined {
  if (settings.import_map) return join(dirname(layout.configPath), settings.import_map);
  const candidates = [
    join(entryDir, "deno.json"),
    join(entryDir, "deno.jsonc"),
    join(entryDir, "import_map.json"),
    join(layout.root, "supabase", "functions", "import_map.json"),
  ];
  return candidates.find(exists);
}

// `import x from "<spec>"`, `import type {...} from "<spec>"`, `export * from "<spec>"`,
// `import "<spec>"` and `import("<spec>")`: the first quoted string after the keyword on its line
// (or after a braced name list, which may span lines), as the CLI's scan finds it.
const moduleReference =
  /(?:import|export)\s+(?:type\s+)?(?:\{[^{}]*\}|[^"'\n]*?)\s*(?:from)?\s*["']([^"'\n]*)["']|import\(\s*["']([^"'\n]*)["']\)/g;

/** The import map's `imports`, with relative targets resolved against the map's own folder. */
function importsOf(importMapPath: string | undefined, root: string): [string, string][] {
  if (!importMapPath) return [];
  let map: { imports?: Record<string, string> };
  try {
    map = JSON.parse(Deno.readTextFileSync(importMapPath));
  } catch (error) {
    throw new Error(`${importMapPath} is not a JSON import map: ${(error as Error).message}`);
  }
  const mapDir = posix.dirname(projectPath(root, importMapPath));
  return Object.entries(map.imports ?? {}).map(([key, target]) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("/")) return [key, target];
    const resolved = posix.join(mapDir, target) + (target.endsWith("/") ? "/" : "");
    return [key, resolved.startsWith(".") ? resolved : `./${resolved}`];
  });
}

/** What deploy uploads for the function `name` whose folder is `functionDir` (absolute). */
export function functionUpload(
  name: string,
  functionDir: string,
  layout: ProjectLayout = projectLayout,
  settings: FunctionSettings = readFunctionSettings(layout.configPath)[name] ?? {},
): FunctionUpload {
  if (settings.static_files?.length) {
    throw new Error(
      `[functions.${name}] static_files is not supported by the local gateway: deploy would ` +
        "upload files it does not serve",
    );
  }
  const entrypoint = settings.entrypoint
    ? join(dirname(layout.configPath), settings.entrypoint)
    : join(functionDir, "index.ts");
  const importMap = chooseImportMap(dirname(entrypoint), settings, layout);
  const imports = importsOf(importMap, layout.root);

  const files: string[] = importMap ? [projectPath(layout.root, importMap)] : [];
  const seen = new Set<string>();
  const pending = [projectPath(layout.root, entrypoint)];
  while (pending.length) {
    const current = pending.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    let text: string;
    try {
      text = Deno.readTextFileSync(join(layout.root, current));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // the CLI warns and goes on
      throw error;
    }
    files.push(current);
    for (const match of text.matchAll(moduleReference)) {
      let specifier = (match[1] ?? match[2]).trim();
      const mapped = imports
        .filter(([key]) => specifier.startsWith(key))
        .sort(([a], [b]) => b.length - a.length)[0];
      if (mapped) specifier = mapped[1] + specifier.slice(mapped[0].length);
      if (!extname(specifier)) continue;
      const relativeSpecifier = specifier.startsWith("./") || specifier.startsWith("../");
      if (!relativeSpecifier && !specifier.startsWith("/")) continue;
      const resolved = relativeSpecifier && !mapped
        ? posix.join(posix.dirname(current), specifier)
        : posix.normalize(specifier);
      pending.push(
        projectPath(layout.root, isAbsolute(resolved) ? resolved : join(layout.root, resolved)),
      );
    }
  }
  return {
    name,
    entrypoint: projectPath(layout.root, entrypoint),
    importMap: importMap ? projectPath(layout.root, importMap) : undefined,
    files: [...new Set(files)].sort(),
    verifyJwt: settings.verify_jwt ?? true,
  };
}

/** A function's upload, copied into a directory of its own: all a run of it can reach. */
export interface MaterialisedUpload {
  dir: string;
  /** Absolute paths inside `dir`. */
  entrypoint: string;
  importMap?: string;
}

/** Copies the files of an upload into `target`, under the same relative paths. */
function copyUpload(upload: FunctionUpload, target: string, root: string) {
  for (const file of upload.files) {
    const destination = join(target, normalize(file));
    Deno.mkdirSync(dirname(destination), { recursive: true });
    Deno.copyFileSync(join(root, file), destination);
  }
  return {
    entrypoint: join(target, upload.entrypoint),
    importMap: upload.importMap ? join(target, upload.importMap) : undefined,
  };
}

/**
 * Computes what deploy uploads for the function `name` (folder `functionDir`) and copies exactly
 * that into a new directory under `parent`: a function run from there reaches what deploy sends,
 * nothing more.
 */
export function materialiseUpload(
  name: string,
  functionDir: string,
  parent: string,
  layout: ProjectLayout = projectLayout,
): MaterialisedUpload {
  const upload = functionUpload(name, functionDir, layout);
  const dir = Deno.makeTempDirSync({ dir: parent, prefix: `${name}-` });
  return { dir, ...copyUpload(upload, dir, layout.root) };
}

/**
 * Deno's certificate stores for fetching npm packages when no repository lock file pins them (as
 * deploy's bundler fetches them): the machine's own as well as Mozilla's.
 */
export const denoCaStore = Deno.env.get("DENO_TLS_CA_STORE") ?? "mozilla,system";

/**
 * The `deno` arguments that resolve a materialised function's modules as the hosted runtime does:
 * no configuration file, package.json or lock file found by walking up, only the uploaded map.
 */
export function moduleResolutionArgs(importMap: string | undefined): string[] {
  return ["--no-config", ...(importMap ? ["--import-map", importMap] : [])];
}
