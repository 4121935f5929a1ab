// A Slack incoming webhook for tests: a local server started by the test, recording what it accepts.

/** A local Slack incoming webhook: records what it accepts, fails the first `failures` posts. */
export function startSlack(failures = 0) {
  const accepted: { text: string; blocks: unknown[]; kind?: string }[] = [];
  let attempts = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (request) => {
      const body = await request.json();
      attempts++;
      if (attempts <= failures) return new Response("internal_error", { status: 500 });
      accepted.push(body);
      return new Response("ok");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/services/T000/B000/fake`,
    accepted,
    attempts: () => attempts,
    close: () => server.shutdown(),
  };
}
