// A TCP relay in front of the stack's API, standing for the network between a client and
// Supabase: cut() drops every open connection at once, like a network blip; while offline(),
// new connections are refused as well, until online() again.
export interface Relay {
  url: string;
  cut(): void;
  offline(): void;
  online(): void;
  close(): void;
}

export function relay(apiUrl: string): Relay {
  const target = Number(new URL(apiUrl).port);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let refusing = false;
  const closeQuietly = (conn: Deno.Conn) => {
    try {
      conn.close();
    } catch { /* closed */ }
  };
  (async () => {
    for await (const inbound of listener) {
      if (refusing) {
        closeQuietly(inbound);
        continue;
      }
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: target });
      open.add(inbound).add(outbound);
      const pipe = (from: Deno.Conn, to: Deno.Conn) =>
        from.readable.pipeTo(to.writable).catch(() => {}).finally(() => {
          for (const conn of [from, to]) {
            open.delete(conn);
            closeQuietly(conn);
          }
        });
      pipe(inbound, outbound);
      pipe(outbound, inbound);
    }
  })().catch(() => {});
  const cut = () => {
    for (const conn of [...open]) closeQuietly(conn);
    open.clear();
  };
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    cut,
    offline() {
      refusing = true;
      cut();
    },
    online() {
      refusing = false;
    },
    close() {
      cut();
      listener.close();
    },
  };
}
