// The client APIs the local stack serves on the gateway's origin, beside /functions/v1, as hosted
// Supabase serves them on the project URL. Each service lives in its own module and is listed
// here once; the gateway routes every request under a service's prefix to it.
import type { ApiService } from "./gateway.ts";
import { type JwtClaims, verifyJwt } from "./jwt.ts";

export interface ApiServiceContext {
  /** The stack's database, as the platform's own services reach it. */
  databaseUrl: string;
  /** The stack's legacy HS256 JWT secret. */
  jwtSecret: string;
  /**
   * The claims of a token the stack's Auth would accept (signature, expiry), or null. Services
   * verify callers through this one function, never by decoding a token themselves.
   */
  verifyToken(token: string): Promise<JwtClaims | null>;
  log: (line: string) => void;
}

export function localApiServices(_context: ApiServiceContext): Promise<ApiService[]> {
  return Promise.resolve([]);
}

/** How the stack's services check a caller's token: the one place that knows the stack's keys. */
export function localTokenVerifier(
  jwtSecret: string,
): (token: string) => Promise<JwtClaims | null> {
  return (token) => verifyJwt(token, jwtSecret);
}
