// Starting servers on the stacks' fixed ports, which client connections can briefly hold.
import assert from "node:assert/strict";
import { join } from "node:path";
import { startOnFixedPort } from "./process.ts";

// A port no test stack uses, nobody listens on.
const idlePort = 1;

Deno.test("a server whose port a client connection holds is started again once it is free", async () => {
  const dir = await Deno.makeTempDir();
  const log = join(dir, "server.log");
  let attempts = 0;
  await startOnFixedPort("probe", idlePort, log, async () => {
    attempts++;
    if (attempts === 1) {
      await Deno.writeTextFile(
        log,
        "WARNING cannot listen on 127.0.0.1:1: bind(): Address already in use\n",
      );
      throw new Error("exited");
    }
  });
  assert.equal(attempts, 2);
});

Deno.test("a server that fails for another reason fails at once", async () => {
  const dir = await Deno.makeTempDir();
  const log = join(dir, "server.log");
  let attempts = 0;
  await assert.rejects(
    startOnFixedPort("probe", idlePort, log, async () => {
      attempts++;
      await Deno.writeTextFile(log, "FATAL could not load configuration\n");
      throw new Error("bad configuration");
    }),
    /bad configuration/,
  );
  assert.equal(attempts, 1);
});

Deno.test("a port a server really listens on is an error, not something to wait for", async () => {
  const dir = await Deno.makeTempDir();
  const log = join(dir, "server.log");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  let attempts = 0;
  try {
    await assert.rejects(
      startOnFixedPort("probe", port, log, async () => {
        attempts++;
        await Deno.writeTextFile(log, "bind(): Address already in use\n");
        throw new Error("taken");
      }),
      /taken/,
    );
  } finally {
    listener.close();
  }
  assert.equal(attempts, 1);
});
