// Pages are addressed by the URL's hash (#/client/12), so the build needs no rewrite rules on
// whatever static host serves it.
import { signal } from "@preact/signals";

export type Route =
  | { page: "overview" }
  | { page: "client"; workspaceId: number }
  | { page: "infrastructure" }
  | { page: "health" }
  | { page: "not-found"; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  if (path === "/") return { page: "overview" };
  if (path === "/infrastructure") return { page: "infrastructure" };
  if (path === "/health") return { page: "health" };
  const client = path.match(/^\/client\/(\d{1,15})$/);
  if (client) return { page: "client", workspaceId: Number(client[1]) };
  return { page: "not-found", path };
}

export const href = {
  overview: "#/",
  client: (workspaceId: number) => `#/client/${workspaceId}`,
  infrastructure: "#/infrastructure",
  health: "#/health",
};

export const route = signal<Route>(parseRoute(location.hash));
addEventListener("hashchange", () => {
  route.value = parseRoute(location.hash);
});
