// Where a connection's base URL may lead. An Email Bison instance is a public service: a base URL
// that resolves to this machine, the local network or the cloud's metadata address would turn the
// API key and every request into a probe of our own infrastructure. Such addresses are refused
// unless the operator opted the connection in for local development (--allow-private-address).
//
// Names are resolved with DNS queries (A and AAAA, Deno.resolveDns), the way Supabase's hosted edge
// runtime resolves them: its node:dns `lookup` is built on the same queries, not on the system's
// getaddrinfo, so /etc/hosts plays no part there and must play none here (docs/deploy.md).
import { isIP } from "node:net";

/** IPv4 ranges that are not public unicast: unspecified, private, shared (CGNAT), loopback,
 *  link-local (cloud metadata lives there). */
const privateIpv4: [number, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
].map(([base, bits]) => [ipv4Number(base as string), bits as number]);

function ipv4Number(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

function inIpv4Range(address: string, [base, bits]: [number, number]): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4Number(address) / size) === Math.floor(base / size);
}

/** The 8 groups of an IPv6 address as numbers (an embedded IPv4 tail becomes two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, "");
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail) {
    const v4 = ipv4Number(tail[1]);
    text = text.slice(0, -tail[1].length) +
      `${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const [head, rest] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = rest === undefined ? [] : rest ? rest.split(":") : [];
  const missing = 8 - left.length - right.length;
  return [...left, ...Array(rest === undefined ? 0 : missing).fill("0"), ...right]
    .map((group) => parseInt(group, 16));
}

/** True for an IP address (v4 or v6) that is loopback, link-local, private or unspecified. */
export function isPrivateAddress(address: string): boolean {
  const version = isIP(address.replace(/%.*$/, ""));
  if (version === 4) return privateIpv4.some((range) => inIpv4Range(address, range));
  if (version !== 6) return false;
  const groups = ipv6Groups(address);
  const zeroUntil = (n: number) => groups.slice(0, n).every((group) => group === 0);
  if (zeroUntil(7) && groups[7] <= 1) return true; // :: and ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): judged as the IPv4 address.
  if (zeroUntil(5) && (groups[5] === 0xffff || groups[5] === 0)) {
    const v4 = [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join(".");
    return isPrivateAddress(v4);
  }
  if ((groups[0] & 0xfe00) === 0xfc00) return true; // fc00::/7, unique local
  if ((groups[0] & 0xffc0) === 0xfe80) return true; // fe80::/10, link-local
  return false;
}

export type ResolveAddresses = (hostname: string) => Promise<string[]>;

type DnsQuery = (name: string, type: "A" | "AAAA") => Promise<string[]>;

/**
 * The addresses of a host name or IP literal: an IP as it is, `localhost` and its subdomains as
 * loopback (RFC 6761, never asked of DNS), any other name by its A and AAAA records together.
 * Fails when DNS gives no address.
 */
export function dnsResolve(query: DnsQuery = Deno.resolveDns): ResolveAddresses {
  return async (hostname) => {
    const bare = hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
    if (isIP(bare)) return [bare];
    if (bare === "localhost" || bare.endsWith(".localhost")) return ["127.0.0.1", "::1"];
    const answers = await Promise.allSettled([query(bare, "A"), query(bare, "AAAA")]);
    const addresses = answers.flatMap((answer) =>
      answer.status === "fulfilled" ? answer.value : []
    );
    const failed = answers.find((answer) => answer.status === "rejected");
    if (!addresses.length && failed) throw (failed as PromiseRejectedResult).reason;
    return addresses;
  };
}

/** How names are resolved by default: DNS queries, as on hosted Supabase. */
export const systemResolve: ResolveAddresses = dnsResolve();

export class PrivateAddressError extends Error {
  constructor(readonly hostname: string, readonly address: string) {
    super(
      `${hostname} resolves to ${address}, a loopback, link-local or private address; ` +
        "only a connection made with --allow-private-address (local development) may use it",
    );
    this.name = "PrivateAddressError";
  }
}

export class UnresolvableHostError extends Error {
  constructor(readonly hostname: string, detail: string) {
    super(`cannot resolve ${hostname}: ${detail}`);
    this.name = "UnresolvableHostError";
  }
}

/**
 * Resolves the URL's host and throws PrivateAddressError when any address it resolves to is
 * private (an attacker-controlled name may list a public and a private address), or
 * UnresolvableHostError when it resolves to nothing.
 */
export async function assertPublicHost(
  url: string,
  resolve: ResolveAddresses = systemResolve,
): Promise<void> {
  const { hostname } = new URL(url);
  let addresses: string[];
  try {
    addresses = await resolve(hostname);
  } catch (error) {
    throw new UnresolvableHostError(hostname, (error as Error).message);
  }
  if (!addresses.length) throw new UnresolvableHostError(hostname, "no address");
  const blocked = addresses.find(isPrivateAddress);
  if (blocked) throw new PrivateAddressError(hostname, blocked);
}
