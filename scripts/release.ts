// `npm run release -- <version>`: records every migration not yet released in
// supabase/migrations.lock under that release. From then on npm test fails when one of them
// changes or disappears. Refuses when a released migration has already changed.
import { currentMigrations, formatLock, lockPath, readLock, release } from "./migrations-lock.ts";

function main(args: string[]): number {
  const [name, ...rest] = args.filter((arg) => arg !== "--");
  if (!name || rest.length) {
    console.error("usage: npm run release -- <version, e.g. v0.2.0>");
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
