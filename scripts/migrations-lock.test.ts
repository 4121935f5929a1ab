import assert from "node:assert/strict";
import {
  currentMigrations,
  formatLock,
  lockProblems,
  parseLock,
  readLock,
  release,
} from "./migrations-lock.ts";
import { main as releaseMain } from "./release.ts";

Deno.test("no released migration (supabase/migrations.lock) has changed or disappeared", () => {
  const lock = readLock();
  assert.ok(lock.releases.length > 0, "supabase/migrations.lock records at least one release");
  assert.deepEqual(lockProblems(lock, currentMigrations()), []);
});

const a = "a".repeat(64);
const b = "b".repeat(64);
const c = "c".repeat(64);

Deno.test("a changed, a missing and an out-of-order migration are each named; new ones are fine", () => {
  const lock = parseLock(
    `# comment\nrelease v0.1.0\n${a}  0001_one.sql\n${b}  0003_three.sql\n`,
  );
  assert.deepEqual(lockProblems(lock, new Map([["0001_one.sql", a], ["0003_three.sql", b]])), []);
  assert.deepEqual(
    lockProblems(lock, new Map([["0001_one.sql", a], ["0003_three.sql", b], ["0004_new.sql", c]])),
    [],
    "a new migration after the released ones is not a problem",
  );
  const problems = lockProblems(
    lock,
    new Map([["0001_one.sql", c], ["0002_late.sql", c]]),
  );
  assert.equal(problems.length, 3);
  assert.match(problems[0], /0001_one\.sql was released in v0\.1\.0 and has changed/);
  assert.match(problems[1], /0003_three\.sql was released in v0\.1\.0 and is gone/);
  assert.match(problems[2], /0002_late\.sql is not released yet sorts before the released/);
});

Deno.test("releasing locks the new migrations, extends only the latest release, and survives a round trip", () => {
  const first = release(
    { releases: [], migrations: [] },
    new Map([["0001_one.sql", a]]),
    "v0.1.0",
  );
  assert.deepEqual(first.added, ["0001_one.sql"]);
  const text = formatLock(first.lock);
  assert.deepEqual(parseLock(text), first.lock);

  const current = new Map([["0001_one.sql", a], ["0002_two.sql", b]]);
  const second = release(first.lock, current, "v0.2.0");
  assert.deepEqual(second.lock.releases, ["v0.1.0", "v0.2.0"]);
  assert.deepEqual(second.lock.migrations.map((m) => [m.name, m.release]), [
    ["0001_one.sql", "v0.1.0"],
    ["0002_two.sql", "v0.2.0"],
  ]);

  const again = release(second.lock, new Map([...current, ["0003_three.sql", c]]), "v0.2.0");
  assert.deepEqual(again.added, ["0003_three.sql"]);
  assert.deepEqual(again.lock.releases, ["v0.1.0", "v0.2.0"]);

  assert.throws(() => release(second.lock, current, "v0.1.0"), /earlier release/);
  assert.throws(() => release(second.lock, current, "v0.1.9"), /does not come after .* v0\.2\.0/);
  assert.throws(() => release(second.lock, current, "v0.2.0-rc.1"), /does not come after/);
  assert.deepEqual(
    release(second.lock, new Map([...current, ["0003_three.sql", c]]), "v0.10.0").lock.releases
      .at(-1),
    "v0.10.0",
  );
  assert.throws(
    () => release(second.lock, current, "v0.3.0"),
    /nothing to release: every migration is locked already \(latest: v0\.2\.0\)/,
    "an empty release is refused",
  );
  assert.throws(() => release(second.lock, current, "v0.2.0"), /nothing to release/);
  assert.throws(
    () => release(second.lock, new Map([["0001_one.sql", c], ["0002_two.sql", b]]), "v0.3.0"),
    /cannot release:\n.*0001_one\.sql was released in v0\.1\.0 and has changed/,
  );
  assert.throws(() => release(second.lock, current, "0.3"), /named like v0\.2\.0/);
  assert.throws(() => parseLock(`${a}  0001_one.sql\n`), /line 1 is not understood/);
});

Deno.test("npm run release -- --help prints the usage; an unknown option is a usage error", () => {
  assert.equal(releaseMain(["--", "--help"]), 0);
  assert.equal(releaseMain(["-h"]), 0);
  assert.equal(releaseMain(["--", "--force"]), 2);
  assert.equal(releaseMain([]), 2);
});
