// The project's npm dependencies live in several import maps: each function's own deno.json (what
// deploy uploads) and the root deno.json (scripts and tests), and in package.json (the tools and
// the dashboard's build, installed by npm ci). They must pin every package at one version. This is
// the one way to see them and to bump one everywhere:
//
//   npm run deps                              # every pinned package, its version and where
//   npm run deps -- set <package> <version>   # e.g. set zod 4.6.8: every map that uses it
//
// scripts/deps.test.ts (run by npm test) fails when the maps disagree.
import { join, relative } from "node:path";
import { repoRoot } from "./local/config.ts";

export interface ImportMapFile {
  /** Relative to the repository root. */
  path: string;
  text: string;
}

export interface PinnedPackage {
  path: string;
  key: string;
  name: string;
  version: string;
}

const npmSpecifier = /^npm:((?:@[^/@]+\/)?[^/@]+)@([^/]+)(\/.*)?$/;
const exactVersion = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const functionsDir = join("supabase", "functions");
const importMapNames = new Set(["deno.json", "deno.jsonc", "import_map.json"]);

/**
 * The root deno.json, every import map under supabase/functions (functions and fixtures), and
 * package.json.
 */
export function importMapFiles(root = repoRoot): ImportMapFile[] {
  const found = [join(root, "deno.json"), join(root, "package.json")];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (importMapNames.has(entry.name)) found.push(path);
    }
  };
  walk(join(root, functionsDir));
  return found.sort().map((path) => ({
    path: relative(root, path),
    text: Deno.readTextFileSync(path),
  }));
}

/**
 * Every npm package the maps pin, and what is wrong with them: a package at two versions, a
 * version that is not exact, a specifier that is not npm: (nothing else is reachable here), or a
 * function's map holding more than imports (deploy sends it as an import map, nothing more).
 */
export function auditImportMaps(files: ImportMapFile[]) {
  const packages: PinnedPackage[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let map: Record<string, unknown>;
    try {
      map = JSON.parse(file.text);
    } catch {
      problems.push(`${file.path}: not JSON`);
      continue;
    }
    if (file.path.startsWith(functionsDir)) {
      const extra = Object.keys(map).filter((key) => key !== "imports");
      if (extra.length) {
        problems.push(`${file.path}: a function's map holds imports only, not ${extra.join(", ")}`);
      }
    }
    if (file.path === "package.json") {
      const npmPins = { ...map.dependencies as object, ...map.devDependencies as object };
      for (const [name, version] of Object.entries(npmPins as Record<string, string>)) {
        if (!exactVersion.test(version)) {
          problems.push(`${file.path}: ${name}@${version} is not an exact version`);
        }
        packages.push({ path: file.path, key: name, name, version });
      }
      continue;
    }
    const imports = (map.imports ?? {}) as Record<string, string>;
    for (const [key, specifier] of Object.entries(imports)) {
      const match = specifier.match(npmSpecifier);
      if (!match) {
        problems.push(`${file.path}: "${key}" is ${specifier}, not a pinned npm: package`);
        continue;
      }
      const [, name, version] = match;
      if (!exactVersion.test(version)) {
        problems.push(`${file.path}: ${name}@${version} is not an exact version`);
      }
      packages.push({ path: file.path, key, name, version });
    }
  }
  const versions = new Map<string, Set<string>>();
  for (const entry of packages) {
    versions.set(entry.name, (versions.get(entry.name) ?? new Set()).add(entry.version));
  }
  for (const [name, seen] of versions) {
    if (seen.size < 2) continue;
    const where = packages.filter((entry) => entry.name === name)
      .map((entry) => `${entry.path} ${entry.version}`).join(", ");
    problems.push(`${name} is pinned at ${[...seen].join(" and ")} (${where})`);
  }
  return { packages, problems };
}

/**
 * The map's text with every `npm:<name>@<any version>` (an import map) or `"<name>": "<version>"`
 * (package.json) pinned at `version` instead.
 */
export function withVersion(text: string, name: string, version: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return text
    .replace(new RegExp(`"npm:${escaped}@[^/"]+`, "g"), `"npm:${name}@${version}`)
    .replace(new RegExp(`("${escaped}":\\s*")\\d[^"]*"`, "g"), `$1${version}"`);
}

const usage = `usage: npm run deps [-- set <package> <exact version>]

Lists every pinned npm package and the import maps that pin it (exit 1 when two pins of one
package differ); set changes one package's version in every import map and package.json.`;

function main(args: string[]): number {
  const [command = "list", name, version] = args;
  if (command === "--help" || command === "-h") {
    console.log(usage);
    return 0;
  }
  if (command === "set") {
    if (!name || !version || !exactVersion.test(version)) {
      console.error("usage: npm run deps -- set <package> <exact version, e.g. 4.6.8>");
      return 2;
    }
    const changed: string[] = [];
    for (const file of importMapFiles()) {
      const updated = withVersion(file.text, name, version);
      if (updated === file.text) continue;
      Deno.writeTextFileSync(join(repoRoot, file.path), updated);
      changed.push(file.path);
    }
    if (!changed.length) {
      console.error(`no import map uses ${name} at another version: nothing to change`);
      return 1;
    }
    console.log(`${name}@${version} in ${changed.join(", ")}`);
    console.log("deno.lock follows on the next run; npm test checks the functions as deployed.");
    if (changed.includes("package.json")) {
      console.log("package.json changed: run `npm install` to bring package-lock.json along.");
    }
    return 0;
  }
  if (command !== "list") {
    console.error(usage);
    return 2;
  }
  const { packages, problems } = auditImportMaps(importMapFiles());
  const byName = new Map<string, PinnedPackage[]>();
  for (const entry of packages) byName.set(entry.name, [...byName.get(entry.name) ?? [], entry]);
  for (const [pkg, entries] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    const versions = [...new Set(entries.map((entry) => entry.version))].join(", ");
    console.log(`${pkg}@${versions}: ${entries.map((entry) => entry.path).join(", ")}`);
  }
  for (const problem of problems) console.error(`✗ ${problem}`);
  return problems.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
