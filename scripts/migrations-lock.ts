// supabase/migrations.lock: the name and SHA-256 of every released migration. Once a release is
// deployed, `supabase db push` never runs its migrations again, so editing one changes nothing on
// a hosted database and makes every fresh (local, test, new project) database differ from it.
// The lock, not a git tag, records what was released, so the check holds on any clone.
//
// Format: comment lines (#), `release <name>` lines, then that release's migrations as
// `<sha256>  <file name>` (the layout of sha256sum).
import { createHash } from "node:crypto";
import { join } from "node:path";
import { repoRoot } from "./local/config.ts";

export const migrationsDir = join(repoRoot, "supabase", "migrations");
export const lockPath = join(repoRoot, "supabase", "migrations.lock");

export interface LockedMigration {
  name: string;
  sha256: string;
  release: string;
}

export interface MigrationsLock {
  releases: string[];
  migrations: LockedMigration[];
}

const header =
  `# Released migrations: the name and SHA-256 of every migration file a release contains.
# A listed file never changes and never goes away: change behaviour with a new migration.
# Written by \`npm run release -- <version>\`; npm test fails when a listed file changed or is gone.
# See docs/migrations.md.
`;

const releaseName = /^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/** Orders release names as semantic versions (a pre-release comes before its release). */
function compareReleases(left: string, right: string): number {
  const [l, r] = [left.match(releaseName)!, right.match(releaseName)!];
  for (const part of [1, 2, 3]) {
    const difference = Number(l[part]) - Number(r[part]);
    if (difference) return difference;
  }
  if (l[4] === r[4]) return 0;
  if (l[4] === undefined || r[4] === undefined) return l[4] === undefined ? 1 : -1;
  return l[4].localeCompare(r[4], "en", { numeric: true });
}

export function parseLock(text: string): MigrationsLock {
  const lock: MigrationsLock = { releases: [], migrations: [] };
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const release = line.match(/^release\s+(\S+)$/);
    const migration = line.match(/^([0-9a-f]{64})\s+(\S+\.sql)$/);
    if (release) {
      lock.releases.push(release[1]);
    } else if (migration && lock.releases.length) {
      lock.migrations.push({
        sha256: migration[1],
        name: migration[2],
        release: lock.releases[lock.releases.length - 1],
      });
    } else {
      throw new Error(`supabase/migrations.lock line ${index + 1} is not understood: ${line}`);
    }
  });
  return lock;
}

export function formatLock(lock: MigrationsLock): string {
  const sections = lock.releases.map((release) =>
    [
      `release ${release}`,
      ...lock.migrations.filter((migration) => migration.release === release)
        .map((migration) => `${migration.sha256}  ${migration.name}`),
    ].join("\n")
  );
  return `${header}\n${sections.join("\n\n")}\n`;
}

export function readLock(path = lockPath): MigrationsLock {
  try {
    return parseLock(Deno.readTextFileSync(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { releases: [], migrations: [] };
    throw error;
  }
}

/** Every migration file now, by name, with the SHA-256 of its bytes. */
export function currentMigrations(dir = migrationsDir): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const bytes = Deno.readFileSync(join(dir, entry.name));
    found.set(entry.name, createHash("sha256").update(bytes).digest("hex"));
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * What breaks the rule: a released migration changed or gone, or an unreleased one that sorts
 * before the last released one (`supabase db push` refuses to insert a migration before the last
 * one a hosted database applied).
 */
export function lockProblems(lock: MigrationsLock, current: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const locked of lock.migrations) {
    const sha256 = current.get(locked.name);
    const file = `supabase/migrations/${locked.name}`;
    if (sha256 === undefined) {
      problems.push(
        `${file} was released in ${locked.release} and is gone: restore it (databases of that ` +
          "release have applied it) and undo what it did in a new migration",
      );
    } else if (sha256 !== locked.sha256) {
      problems.push(
        `${file} was released in ${locked.release} and has changed (sha256 ${locked.sha256} ` +
          `then, ${sha256} now): restore it and make the change in a new migration`,
      );
    }
  }
  const locked = new Set(lock.migrations.map((migration) => migration.name));
  const lastReleased = [...locked].sort().pop();
  for (const name of current.keys()) {
    if (lastReleased && !locked.has(name) && name < lastReleased) {
      problems.push(
        `supabase/migrations/${name} is not released yet sorts before the released ` +
          `${lastReleased}: db push would refuse it on a deployed database; give it a later ` +
          "timestamp",
      );
    }
  }
  return problems;
}

/**
 * The lock after releasing `name`: every migration not yet locked joins it. Running it again for
 * the latest release adds the migrations written since (before that release is deployed); an
 * earlier release is never reopened.
 */
export function release(
  lock: MigrationsLock,
  current: Map<string, string>,
  name: string,
): { lock: MigrationsLock; added: string[] } {
  if (!releaseName.test(name)) {
    throw new Error(`a release is named like v0.2.0, not "${name}"`);
  }
  const problems = lockProblems(lock, current);
  if (problems.length) throw new Error(`cannot release:\n  ${problems.join("\n  ")}`);
  const latest = lock.releases[lock.releases.length - 1];
  if (lock.releases.includes(name) && name !== latest) {
    throw new Error(
      `${name} is an earlier release (the latest is ${latest}): it is never reopened`,
    );
  }
  if (latest && name !== latest && compareReleases(name, latest) <= 0) {
    throw new Error(`${name} does not come after the latest release, ${latest}`);
  }
  const locked = new Set(lock.migrations.map((migration) => migration.name));
  const added = [...current.keys()].filter((migration) => !locked.has(migration));
  if (!added.length) {
    throw new Error(
      `nothing to release: every migration is locked already${
        latest ? ` (latest: ${latest})` : ""
      }`,
    );
  }
  return {
    lock: {
      releases: lock.releases.includes(name) ? lock.releases : [...lock.releases, name],
      migrations: [
        ...lock.migrations,
        ...added.map((migration) => ({
          name: migration,
          sha256: current.get(migration)!,
          release: name,
        })),
      ],
    },
    added,
  };
}
