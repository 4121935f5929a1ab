// An Email Bison instance that stopped answering: a TCP server that accepts connections and never
// answers, for the tests and benchmarks of circuit breakers and run deadlines.
export function deadInstance() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    /** How many connections it has accepted (and left hanging) so far. */
    accepted: () => held.length,
    close() {
      for (const conn of held) conn.close();
      listener.close();
    },
  };
}
