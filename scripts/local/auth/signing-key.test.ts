import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSigningKey } from "./signing-key.ts";

async function withDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a stack's key is created once, readable by its owner only, and the same for every caller", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "auth", "signing-keys.json");
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadSigningKey(path)));
    assert.equal(new Set(keys.map((key) => key.kid)).size, 1, "concurrent first loads agree");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(join(dir, "auth"))].map((entry) => entry.name), [
      "signing-keys.json",
    ], "no draft left behind");
    const stored = JSON.parse(await Deno.readTextFile(path));
    assert.equal(stored.length, 1);
    assert.equal(stored[0].alg, "ES256");
    assert.ok(stored[0].d, "the file keeps the private part");
    assert.equal("d" in keys[0].publicJwk, false, "the public JWK does not");
    assert.equal((await loadSigningKey(path)).kid, keys[0].kid, "loaded again, not replaced");

    await Deno.chmod(path, 0o644);
    await loadSigningKey(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, "a widened mode is narrowed back");
  });
});

Deno.test("a damaged key file is refused without its content in the error", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "signing-keys.json");
    const secretLooking = '[{"kty":"EC","d":"PRIVATE-PART-MUST-NOT-LEAK"}]';
    await Deno.writeTextFile(path, secretLooking);
    await assert.rejects(loadSigningKey(path), (error: Error) => {
      assert.match(error.message, /does not hold an ES256 private key; delete it/);
      assert.doesNotMatch(error.message, /PRIVATE-PART/);
      return true;
    });
    await Deno.writeTextFile(path, "{not json PRIVATE-PART");
    await assert.rejects(loadSigningKey(path), (error: Error) => {
      assert.doesNotMatch(error.message, /PRIVATE-PART/);
      return true;
    });
  });
});
