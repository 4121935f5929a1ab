// Where a stack's cluster lives, and the moved clusters of clones that are gone being removed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { clusterBase, movedClustersDir, removeOrphanedClusters } from "./postgres.ts";

Deno.test("the cluster lives in the clone unless the postgres OS user cannot enter it", () => {
  assert.equal(
    clusterBase("/home/dev/bison-mirror/.local/test-400", true),
    "/home/dev/bison-mirror/.local/test-400/postgres",
  );
  // A root-owned clone of mode 700: moved, under a tag naming the stack's directory.
  assert.equal(
    clusterBase("/root/private/bison-mirror/.local/test", false),
    join(movedClustersDir, "_root_private_bison_mirror_local_test"),
  );
  const long = `/root/${"deep/".repeat(40)}bison-mirror/.local/dev`;
  const tag = clusterBase(long, false).slice(movedClustersDir.length + 1);
  assert.equal(tag.length, 80, "tags stay short");
  assert.ok(tag.endsWith("_bison_mirror_local_dev"), "and keep the end of the path");
});

Deno.test("a moved cluster whose clone is gone is removed; the others are kept", async () => {
  const moved = await Deno.makeTempDir({ prefix: "moved-clusters-" });
  const clone = await Deno.makeTempDir({ prefix: "clone-" });
  try {
    const cluster = async (name: string, owner?: string) => {
      await Deno.mkdir(join(moved, name, "data"), { recursive: true });
      if (owner) await Deno.writeTextFile(join(moved, name, "stack-dir"), owner);
    };
    await cluster("live", join(clone, ".local", "dev"));
    await Deno.mkdir(join(clone, ".local", "dev"), { recursive: true });
    await cluster("gone", join(clone, "deleted", ".local", "test"));
    await cluster("unknown");
    assert.deepEqual(await removeOrphanedClusters(moved), [join(moved, "gone")]);
    const left = [...Deno.readDirSync(moved)].map((entry) => entry.name).sort();
    assert.deepEqual(left, ["live", "unknown"]);
    assert.deepEqual(await removeOrphanedClusters(join(moved, "nowhere")), [], "none moved yet");
  } finally {
    await Deno.remove(moved, { recursive: true });
    await Deno.remove(clone, { recursive: true });
  }
});
