// `npm run release -- <version>`: records every migration not yet released in
// supabase/migrations.lock under that release. From then on npm test fails when one of them
// changes or disappears. Refuses when a released migration has already changed, and when there is
// nothing new to release.
import { currentMigrations, formatLock, lockPath, readLock, release } from "./migrations-lock.ts";

const usage = `usage: npm run release -- <version, e.g. v0.4.0>

Locks every migration not yet in supabase/migrations.lock under that release (docs/migrations.md).
Exit codes: 0 locked, 1 refused (a released migration changed, nothing to release, or a version
that does not come after the latest), 2 wrong arguments.`;

export function main(args: string[]): number {
  const [name, ...rest] = args.filter((arg) => arg !== "--");
  if (name === "--help" || name === "-h") {
    console.log(usage);
    return 0;
  }
  if (!name || rest.length || name.startsWith("-")) {
    console.error(name?.startsWith("-") ? `✗ unknown option ${name}\n${usage}` : usage);
    return 2;
  }
  const before = readLock();
  let result;
  try {
    result = release(before, currentMigrations(), name);
  } catch (error) {
    console.error(`✗ ${(error as Error).message}`);
    return 1;
  }
  Deno.writeTextFileSync(lockPath, formatLock(result.lock));
  const reopened = before.releases.includes(name) ? ` (added to the latest release, ${name})` : "";
  console.log(
    `${name}: ${result.added.length} migration(s) locked${reopened}, ` +
      `${result.lock.migrations.length} in all. Commit supabase/migrations.lock.`,
  );
  for (const migration of result.added) console.log(`  + ${migration}`);
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
