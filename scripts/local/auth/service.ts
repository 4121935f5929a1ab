// The local stand-in for Supabase Auth (GoTrue) at /auth/v1, written from supabase/auth's own
// handlers for the part a frontend and this project use: the JWKS, email/password sign-in
// (`token?grant_type=password`), refresh-token rotation (`grant_type=refresh_token`), `GET /user`,
// `PUT /user` (a signed-in user choosing a new password), `POST /logout`, the admin API for users
// (create, list, get, delete) and for email links (`POST /admin/generate_link`, types invite and
// magiclink) with the service key, and `/verify`, which those links lead to (no email is ever
// sent: the admin gets the link to pass on).
// Errors have GoTrue's statuses, codes and messages, in the shape the caller's
// X-Supabase-Api-Version asks for. Everything else GoTrue offers answers 501 naming the feature.
import { createHash } from "node:crypto";
import { join } from "node:path";
import postgres from "postgres";
import { repoRoot, watchedToml } from "../config.ts";
import type { ApiService } from "../gateway.ts";
import type { ApiServiceContext } from "../api-services.ts";
import { authIssuer, sessionAnswer, signInAs } from "./session.ts";
import {
  AlreadyConfirmed,
  changePassword,
  createUser,
  deleteUser,
  type EmailLinkType,
  EmailTaken,
  endSessions,
  findUserById,
  findUserByPassword,
  listUsers,
  type LogoutScope,
  prepareEmailLink,
  refreshSession,
  sessionExists,
  type StoredUser,
  verifyEmailLink,
} from "./store.ts";

export interface AuthServiceOptions {
  /** GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL: Supabase's default is 10 seconds. */
  refreshTokenReuseSeconds?: number;
  /** GOTRUE_MAILER_OTP_EXP: how long an email link works (GoTrue's default, a day). */
  emailLinkSeconds?: number;
  /** The project's config.toml, whose [auth] settings the stand-in follows (below). */
  configPath?: string;
}

/** The [auth] settings of config.toml the stand-in follows, as the Supabase CLI hands them on. */
interface AuthConfigToml {
  auth?: {
    /** GOTRUE_SITE_URL: where email links lead unless an allowed redirect_to is asked for. */
    site_url?: string;
    /** GOTRUE_PASSWORD_MIN_LENGTH: the shortest password a user may choose. */
    minimum_password_length?: number;
  };
}

/** An error answered in GoTrue's shape (HTTPError): status, error code, message. */
export class AuthError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** GoTrue's WeakPasswordError: 422 weak_password, with the reasons the password failed. */
class WeakPassword extends AuthError {
  constructor(message: string, readonly reasons: string[]) {
    super(422, "weak_password", message);
  }
}

/** An OAuth-style error (OAuthError), which GoTrue always answers with 400. */
class OAuthError extends Error {
  constructor(readonly error: string, readonly description: string) {
    super(description);
  }
}

const prefix = "/auth/v1";
/** GoTrue's JWT_DEFAULT_GROUP_NAME and the audience every token is issued for. */
const defaultRole = "authenticated";
const defaultAudience = "authenticated";
/** JWT_ADMIN_ROLES' default. */
const adminRoles = ["service_role", "supabase_admin"];
/** bcrypt hashes only the first 72 bytes: GoTrue refuses longer passwords. */
const maxPasswordBytes = 72;
/** GoTrue refuses bodies over 1 MB. */
const maxBodyBytes = 1 << 20;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The format check GoTrue's email validation applies (badoux/checkmail).
const emailPattern =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const apiVersionHeader = "x-supabase-api-version";
/** GoTrue's DuplicateEmailMsg. */
const duplicateEmail = "A user with this email address has already been registered";
/** The status an error redirect names (GoTrue's oauthErrorMap). */
const oauthErrors: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized_client",
  403: "access_denied",
  500: "server_error",
  503: "temporarily_unavailable",
};

/** GoTrue's crypto.GenerateTokenHash: the SHA-224 of the email and the one-time code, in hex. */
const tokenHash = (email: string, otp: string) =>
  createHash("sha224").update(email + otp).digest("hex");

/** A one-time code of GOTRUE_MAILER_OTP_LENGTH's default, 6 digits. */
function oneTimeCode(): string {
  const [n] = crypto.getRandomValues(new Uint32Array(1));
  return String(n % 1_000_000).padStart(6, "0");
}

/** GoTrue's IsRedirectURLValid without an allow list: back to the site, or to a loopback host. */
function isRedirectUrlValid(siteUrl: string, redirectUrl: string): boolean {
  if (!redirectUrl) return false;
  let site: URL, target: URL;
  try {
    site = new URL(siteUrl);
    target = new URL(redirectUrl);
  } catch {
    return false;
  }
  const hostname = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const loopback = hostname === "localhost" || /^127\./.test(hostname) || hostname === "::1";
  if (site.hostname === target.hostname && site.protocol === target.protocol) {
    return site.port === target.port || loopback;
  }
  return /^[\d.]+$/.test(hostname) || hostname.includes(":") ? loopback : false;
}

/** GoTrue's encodeRedirectURL: escaped only when it holds &, = or # (else taken as encoded). */
const encodeRedirectUrl = (url: string) =>
  /[&=#]/.test(url) ? new URLSearchParams({ u: url }).toString().slice(2) : url;

/** Values as Go's url.Values.Encode writes them: keys sorted. */
function encodeSorted(values: Record<string, string>): string {
  const params = new URLSearchParams(values);
  params.sort();
  return params.toString();
}

/** Paths GoTrue serves that this stand-in does not: each answers 501 with the feature's name. */
const unsupported: [RegExp, string][] = [
  [/^\/signup$/, "sign-up (POST /signup); create users with the admin API"],
  [/^\/(otp|magiclink)$/, "one-time passwords and magic links"],
  [/^\/(recover|resend|reauthenticate)$/, "emails and verification links"],
  [/^\/(authorize|callback)$/, "OAuth providers"],
  [/^\/invite$/, "invitations"],
  [/^\/settings$/, "the settings endpoint"],
  [/^\/(factors|passkeys)(\/|$)/, "multi-factor authentication and passkeys"],
  [/^\/(sso|saml)(\/|$)/, "single sign-on"],
  [/^\/user\/identities(\/|$)/, "identity linking"],
  [/^\/oauth(\/|$)/, "the OAuth 2.1 server"],
  [/^\/\.well-known\/(openid-configuration|oauth-authorization-server)$/, "OpenID discovery"],
  [/^\/admin\/(audit|sso|oauth|custom-providers)(\/|$)/, "this admin endpoint"],
  [/^\/admin\/users\/[^/]+\/(factors|passkeys)(\/|$)/, "multi-factor authentication"],
];

function notSupported(feature: string): AuthError {
  return new AuthError(
    501,
    "feature_disabled",
    `${feature} is not supported by the local Auth stand-in (scripts/local/auth); ` +
      "it serves the JWKS, password sign-in, refresh, GET /user, " +
      "PUT /user (the password), logout, admin users, generate_link and verify",
  );
}

const corsHeaders = { "access-control-allow-origin": "*" };

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { ...corsHeaders, ...headers } });
}

/** The caller asked for the 2024-01-01 API (supabase-js does): {code, message}, echoed version. */
function asksCurrentApi(request: Request): boolean {
  const version = request.headers.get(apiVersionHeader) ?? "";
  return /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= "2024-01-01";
}

function errorAnswer(request: Request, error: AuthError | OAuthError): Response {
  if (error instanceof OAuthError) {
    return answer(400, { error: error.error, error_description: error.description });
  }
  const headers: Record<string, string> = { "x-sb-error-code": error.code };
  const weak = error instanceof WeakPassword ? { weak_password: { reasons: error.reasons } } : {};
  if (asksCurrentApi(request)) {
    headers[apiVersionHeader] = "2024-01-01";
    // GoTrue's weak-password answer in this version names its code in the body only.
    if (error instanceof WeakPassword) delete headers["x-sb-error-code"];
    return answer(error.status, { code: error.code, message: error.message, ...weak }, headers);
  }
  return answer(
    error.status,
    { code: error.status, error_code: error.code, msg: error.message, ...weak },
    headers,
  );
}

/** The request's body, at most 1 MB as GoTrue allows. */
async function readBody(request: Request): Promise<string> {
  const tooLarge = () =>
    new AuthError(
      413,
      "request_entity_too_large",
      `Request body too large (max ${maxBodyBytes} bytes)`,
    );
  if (Number(request.headers.get("content-length") ?? "NaN") > maxBodyBytes) throw tooLarge();
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > maxBodyBytes) throw tooLarge();
  return new TextDecoder().decode(bytes);
}

/** A JSON object body, or GoTrue's bad_json error. */
function parseJson(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new AuthError(
      400,
      "bad_json",
      `Could not parse request body as JSON: ${(error as Error).message}`,
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AuthError(400, "bad_json", "Could not parse request body as JSON: not an object");
  }
  return body as Record<string, unknown>;
}

const readJson = async (request: Request) => parseJson(await readBody(request));

const isString = (value: unknown): value is string => typeof value === "string";
const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
/** A body field that asks for something: GoTrue ignores the zero values of its struct fields. */
const isGiven = (value: unknown) =>
  value !== undefined && value !== null && value !== "" && value !== false &&
  !(isObject(value) && Object.keys(value).length === 0);
const typeNames = new Map<unknown, string>([
  [isString, "string"],
  [isBoolean, "bool"],
  [isObject, "object"],
]);

/** A body field of the type GoTrue's struct declares (null counts as absent), or bad_json. */
function field<T>(
  body: Record<string, unknown>,
  name: string,
  accepts: (value: unknown) => value is T,
): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!accepts(value)) {
    throw new AuthError(
      400,
      "bad_json",
      `Could not parse request body as JSON: json: cannot unmarshal ${typeof value} into Go ` +
        `struct field .${name} of type ${typeNames.get(accepts)}`,
    );
  }
  return value;
}

export function authService(
  context: ApiServiceContext,
  options: AuthServiceOptions = {},
): ApiService {
  // The one connection the Auth service uses, as GoTrue has its own database login on hosted.
  const sql = postgres(context.databaseUrlAs("supabase_auth_admin"), {
    max: 4,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: "local-auth" },
  });
  const issuer = authIssuer(context.apiUrl, context.signingKey);
  const reuseSeconds = options.refreshTokenReuseSeconds ?? 10;
  const emailLinkSeconds = options.emailLinkSeconds ?? 86_400;
  // Read again after an edit, as the other services read config.toml; the CLI's defaults else.
  const config = watchedToml<AuthConfigToml>(
    options.configPath ?? join(repoRoot, "supabase", "config.toml"),
  );
  const siteUrl = () => config().auth?.site_url ?? "http://127.0.0.1:3000";
  // GoTrue raises a lower setting to its floor of 6.
  const passwordMinLength = () => Math.max(6, config().auth?.minimum_password_length ?? 6);

  /** GoTrue's GetReferrer: redirect_to if allowed, else the Referer if allowed, else the site. */
  function referrerOf(request: Request, url: URL): string {
    for (const candidate of [url.searchParams.get("redirect_to"), request.headers.get("referer")]) {
      if (candidate && isRedirectUrlValid(siteUrl(), candidate)) return candidate;
    }
    return siteUrl();
  }

  /** GoTrue's validateEmail: required, at most 255 characters, well formed; lower-cased. */
  function validEmail(raw: string): string {
    if (!raw) throw new AuthError(400, "validation_failed", "An email address is required");
    if (raw.length > 255) {
      throw new AuthError(400, "validation_failed", "An email address is too long");
    }
    if (!emailPattern.test(raw)) {
      throw new AuthError(
        400,
        "validation_failed",
        "Unable to validate email address: invalid format",
      );
    }
    return raw.toLowerCase();
  }

  /** The claims of the request's bearer token, checked by the stack's one token verifier. */
  async function bearerClaims(request: Request) {
    const match = (request.headers.get("authorization") ?? "").match(/^bearer (\S+)$/i);
    if (!match) {
      throw new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token");
    }
    const check = await context.checkToken(match[1]);
    if (!check.valid) {
      throw new AuthError(
        403,
        "bad_jwt",
        `invalid JWT: unable to parse or verify signature, ${check.reason}`,
      );
    }
    return check.claims;
  }

  /** requireAuthentication: a valid bearer token, its user, and its session if it names one. */
  async function authenticate(request: Request) {
    const claims = await bearerClaims(request);
    if (typeof claims.sub !== "string" || claims.sub === "") {
      throw new AuthError(403, "bad_jwt", "invalid claim: missing sub claim");
    }
    if (!uuidPattern.test(claims.sub)) {
      throw new AuthError(400, "bad_jwt", "invalid claim: sub claim must be a UUID");
    }
    const stored = await findUserById(sql, claims.sub);
    if (!stored) {
      throw new AuthError(403, "user_not_found", "User from sub claim in JWT does not exist");
    }
    const sessionId = typeof claims.session_id === "string" &&
        claims.session_id !== "" && claims.session_id !== "00000000-0000-0000-0000-000000000000"
      ? claims.session_id
      : null;
    if (sessionId) {
      if (!uuidPattern.test(sessionId)) {
        throw new AuthError(403, "bad_jwt", "invalid claim: session_id claim must be a UUID");
      }
      if (!await sessionExists(sql, sessionId)) {
        throw new AuthError(
          403,
          "session_not_found",
          "Session from session_id claim in JWT does not exist",
        );
      }
    }
    if (stored.banned) throw new AuthError(403, "user_banned", "User is banned");
    return { claims, stored, sessionId };
  }

  /** requireAdminCredentials: a valid token whose role is an admin role (the service key). */
  async function requireAdmin(request: Request): Promise<void> {
    const claims = await bearerClaims(request);
    if (!adminRoles.includes(String(claims.role))) {
      throw new AuthError(403, "not_admin", "User not allowed");
    }
  }

  const userAgentOf = (request: Request) => request.headers.get("user-agent");

  async function passwordGrant(request: Request): Promise<Response> {
    const body = await readJson(request);
    const email = field(body, "email", isString) ?? "";
    const phone = field(body, "phone", isString) ?? "";
    const password = field(body, "password", isString) ?? "";
    if (email && phone) {
      throw new AuthError(
        400,
        "validation_failed",
        "Only an email address or phone number should be provided on login.",
      );
    }
    if (phone) throw notSupported("phone sign-in");
    if (!email) throw new AuthError(400, "validation_failed", "missing email or phone");
    const invalid = () => new AuthError(400, "invalid_credentials", "Invalid login credentials");
    // bcrypt only ever hashed the first 72 bytes; longer passwords cannot have been set.
    if (new TextEncoder().encode(password).byteLength > 72) throw invalid();
    const found = await findUserByPassword(sql, email, defaultAudience, password);
    if (!found || !found.hasPassword) throw invalid();
    if (found.banned) throw new AuthError(400, "user_banned", "User is banned");
    if (!found.passwordMatches) throw invalid();
    if (!found.emailConfirmed) {
      throw new AuthError(400, "email_not_confirmed", "Email not confirmed");
    }
    return answer(
      200,
      await signInAs(sql, issuer, found.user.id, "password", userAgentOf(request)),
    );
  }

  async function refreshGrant(request: Request): Promise<Response> {
    const body = await readJson(request);
    const token = field(body, "refresh_token", isString) ?? "";
    if (!token) throw new OAuthError("invalid_request", "refresh_token required");
    const result = await refreshSession(sql, token, reuseSeconds, userAgentOf(request));
    switch (result.outcome) {
      case "not_found":
        throw new AuthError(
          400,
          "refresh_token_not_found",
          "Invalid Refresh Token: Refresh Token Not Found",
        );
      case "banned":
        throw new AuthError(400, "user_banned", "Invalid Refresh Token: User Banned");
      case "no_session":
        throw new AuthError(
          400,
          "session_not_found",
          "Invalid Refresh Token: No Valid Session Found",
        );
      case "session_expired":
        throw new AuthError(400, "session_expired", "Invalid Refresh Token: Session Expired");
      case "already_used":
        throw new AuthError(
          400,
          "refresh_token_already_used",
          "Invalid Refresh Token: Already Used",
        );
    }
    const { user } = (await findUserById(sql, result.userId))!;
    return answer(
      200,
      await sessionAnswer(sql, issuer, user, result.sessionId, result.refreshToken),
    );
  }

  function token(request: Request, url: URL): Promise<Response> {
    const grantType = url.searchParams.get("grant_type") ?? "";
    switch (grantType) {
      case "password":
        return passwordGrant(request);
      case "refresh_token":
        return refreshGrant(request);
      case "id_token":
      case "pkce":
      case "web3":
        throw notSupported(`grant_type=${grantType}`);
      default:
        throw new AuthError(400, "invalid_credentials", "unsupported_grant_type");
    }
  }

  async function getUser(request: Request): Promise<Response> {
    const { claims, stored } = await authenticate(request);
    const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    const requested = request.headers.get("x-jwt-aud") || defaultAudience;
    if (audience !== requested) {
      throw new AuthError(
        400,
        "validation_failed",
        "Token audience doesn't match request audience",
      );
    }
    return answer(200, stored.user);
  }

  /** GoTrue's checkPasswordStrength: at most 72 bytes, at least the minimum length. */
  function checkPasswordStrength(password: string): void {
    // Go's len() counts bytes, as GoTrue's checks do.
    const bytes = new TextEncoder().encode(password).byteLength;
    if (bytes > maxPasswordBytes) {
      throw new AuthError(
        400,
        "validation_failed",
        `Password cannot be longer than ${maxPasswordBytes} characters`,
      );
    }
    const minLength = passwordMinLength();
    if (bytes < minLength) {
      throw new WeakPassword(`Password should be at least ${minLength} characters.`, ["length"]);
    }
  }

  /** PUT /user (supabase-js updateUser): a signed-in user sets a new password; nothing else. */
  async function updateUser(request: Request): Promise<Response> {
    const { stored, sessionId } = await authenticate(request);
    const body = await readJson(request);
    const password = field(body, "password", isString);
    for (const [name, value] of Object.entries(body)) {
      if (name !== "password" && isGiven(value)) {
        throw notSupported(`updating the user's "${name}" (PUT /user sets the password only)`);
      }
    }
    if (password === undefined) return answer(200, stored.user);
    checkPasswordStrength(password);
    const changed = await changePassword(sql, stored.user.id, password, sessionId);
    if (changed === "same") {
      throw new AuthError(
        422,
        "same_password",
        "New password should be different from the old password.",
      );
    }
    return answer(200, changed);
  }

  async function logout(request: Request, url: URL): Promise<Response> {
    const scope = url.searchParams.get("scope") || "global";
    if (!["global", "local", "others"].includes(scope)) {
      throw new AuthError(400, "validation_failed", `Unsupported logout scope "${scope}"`);
    }
    const { stored, sessionId } = await authenticate(request);
    await endSessions(sql, stored.user.id, sessionId, scope as LogoutScope);
    return new Response(null, { status: 204, headers: corsHeaders });
  }

  async function adminCreateUser(request: Request): Promise<Response> {
    await requireAdmin(request);
    const body = await readJson(request);
    for (const name of ["phone", "password_hash", "ban_duration", "phone_confirm"] as const) {
      if (isGiven(body[name])) throw notSupported(`admin users: "${name}"`);
    }
    const rawEmail = field(body, "email", isString) ?? "";
    if (!rawEmail) {
      throw new AuthError(
        400,
        "validation_failed",
        "Cannot create a user without either an email or phone",
      );
    }
    const email = validEmail(rawEmail);
    const id = field(body, "id", isString);
    if (id !== undefined && id !== "") {
      if (!uuidPattern.test(id)) {
        throw new AuthError(400, "validation_failed", "ID must conform to the uuid v4 format");
      }
      if (/^[0-]+$/.test(id)) {
        throw new AuthError(400, "validation_failed", "ID cannot be a nil uuid");
      }
    }
    // Without a password GoTrue sets a long random one: the user can only sign in another way.
    let password = field(body, "password", isString) ?? "";
    if (!password) password = crypto.randomUUID() + crypto.randomUUID();
    if (new TextEncoder().encode(password).byteLength > 72) {
      throw new AuthError(400, "validation_failed", "bcrypt: password length exceeds 72 bytes");
    }
    try {
      const user = await createUser(sql, {
        id: id || undefined,
        email,
        password,
        aud: field(body, "aud", isString) || defaultAudience,
        role: (field(body, "role", isString) ?? "").trim() || defaultRole,
        emailConfirm: field(body, "email_confirm", isBoolean) ?? false,
        userMetadata: field(body, "user_metadata", isObject) ?? {},
        appMetadata: field(body, "app_metadata", isObject) ?? {},
      });
      return answer(200, user);
    } catch (error) {
      if (error instanceof EmailTaken) {
        throw new AuthError(
          422,
          "email_exists",
          "A user with this email address has already been registered",
        );
      }
      throw error;
    }
  }

  async function adminListUsers(request: Request, url: URL): Promise<Response> {
    await requireAdmin(request);
    for (const name of ["filter", "sort"]) {
      if (url.searchParams.has(name)) throw notSupported(`admin users: "${name}"`);
    }
    const page = Number(url.searchParams.get("page") || "1");
    const perPage = Number(url.searchParams.get("per_page") || "50");
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1) {
      throw new AuthError(400, "validation_failed", "Bad Pagination Parameters");
    }
    const { users, total } = await listUsers(sql, defaultAudience, page, perPage);
    const last = Math.max(1, Math.ceil(total / perPage));
    const link = (n: number, rel: string) => {
      const target = new URL(url);
      target.searchParams.set("page", String(n));
      target.searchParams.set("per_page", String(perPage));
      return `<${target.pathname}${target.search}>; rel="${rel}"`;
    };
    const links = [link(last, "last")];
    if (page < last) links.unshift(link(page + 1, "next"));
    return answer(200, { users, aud: defaultAudience }, {
      "x-total-count": String(total),
      link: links.join(", "),
    });
  }

  async function adminUser(request: Request, id: string): Promise<Response> {
    await requireAdmin(request);
    if (!uuidPattern.test(id)) {
      throw new AuthError(404, "validation_failed", "user_id must be an UUID");
    }
    const stored: StoredUser | null = await findUserById(sql, id);
    if (!stored) throw new AuthError(404, "user_not_found", "User not found");
    if (request.method === "GET") return answer(200, stored.user);
    if (request.method === "PUT") throw notSupported("updating users (PUT /admin/users/{id})");
    // DELETE: an empty body means a hard delete, as GoTrue reads it.
    const text = await readBody(request);
    if (text.trim()) {
      if (field(parseJson(text), "should_soft_delete", isBoolean)) {
        throw notSupported("soft-deleting users");
      }
    }
    await deleteUser(sql, id);
    return answer(200, {});
  }

  async function adminGenerateLink(request: Request, url: URL): Promise<Response> {
    await requireAdmin(request);
    const body = await readJson(request);
    const type = field(body, "type", isString) ?? "";
    const email = validEmail(field(body, "email", isString) ?? "");
    if (["signup", "recovery", "email_change_current", "email_change_new"].includes(type)) {
      throw notSupported(`generate_link of type "${type}" (invite and magiclink are)`);
    }
    if (type !== "invite" && type !== "magiclink") {
      throw new AuthError(
        400,
        "validation_failed",
        `Invalid email action link type requested: ${type}`,
      );
    }
    const requested = field(body, "redirect_to", isString) ?? "";
    const redirectTo = isRedirectUrlValid(siteUrl(), requested)
      ? requested
      : referrerOf(request, url);
    const otp = oneTimeCode();
    const hashed = tokenHash(email, otp);
    let prepared;
    try {
      prepared = await prepareEmailLink(sql, {
        type,
        email,
        aud: defaultAudience,
        data: field(body, "data", isObject) ?? {},
        tokenHash: hashed,
      });
    } catch (error) {
      if (error instanceof AlreadyConfirmed || error instanceof EmailTaken) {
        throw new AuthError(422, "email_exists", duplicateEmail);
      }
      throw error;
    }
    const actionLink = `${context.apiUrl}${prefix}/verify?token=${hashed}&type=${prepared.type}` +
      `&redirect_to=${encodeRedirectUrl(redirectTo)}`;
    return answer(200, {
      ...prepared.user,
      action_link: actionLink,
      email_otp: otp,
      hashed_token: hashed,
      verification_type: prepared.type,
      redirect_to: redirectTo,
    });
  }

  /** Spends an email link's token; the user it confirms or signs in, or why not (an AuthError). */
  async function useEmailLink(type: string, hashed: string): Promise<string> {
    if (type === "email_change" || hashed.startsWith("pkce_")) {
      throw notSupported(`verifying "${type}" links and the PKCE flow`);
    }
    if (!["invite", "signup", "magiclink", "recovery"].includes(type)) {
      throw new AuthError(400, "validation_failed", "Invalid email verification type");
    }
    const checked = await verifyEmailLink(
      sql,
      (type === "recovery" ? "magiclink" : type) as EmailLinkType,
      hashed,
      emailLinkSeconds,
    );
    if (checked.outcome === "verified") return checked.userId;
    if (checked.outcome === "banned") throw new AuthError(403, "user_banned", "User is banned");
    throw new AuthError(403, "otp_expired", "Email link is invalid or has expired");
  }

  /** GET /verify, where an email link leads: a session in the redirect's fragment (303). */
  async function verifyLink(request: Request, url: URL): Promise<Response> {
    const type = url.searchParams.get("type") ?? "";
    const token = url.searchParams.get("token") ?? "";
    const redirectTo = referrerOf(request, url);
    if (!type) throw new AuthError(400, "validation_failed", "Verify requires a verification type");
    if (!token) {
      throw new AuthError(400, "validation_failed", "Verify requires a token or a token hash");
    }
    const seeOther = (location: string) =>
      new Response(null, { status: 303, headers: { ...corsHeaders, location } });
    let userId: string;
    try {
      userId = await useEmailLink(type, token);
    } catch (error) {
      if (!(error instanceof AuthError) || error.status === 501) throw error;
      const target = new URL(redirectTo);
      target.hash = encodeSorted({
        ...(oauthErrors[error.status] ? { error: oauthErrors[error.status] } : {}),
        error_code: error.code,
        error_description: error.message,
        sb: "",
      });
      return seeOther(target.toString());
    }
    const session = await signInAs(sql, issuer, userId, "otp", userAgentOf(request));
    return seeOther(
      `${redirectTo}#${
        encodeSorted({
          access_token: session.access_token,
          token_type: session.token_type,
          expires_in: String(session.expires_in),
          expires_at: String(session.expires_at),
          refresh_token: session.refresh_token,
          sb: "",
          type,
        })
      }`,
    );
  }

  /** POST /verify (supabase-js verifyOtp): the session as JSON. */
  async function verifyOtp(request: Request): Promise<Response> {
    const body = await readJson(request);
    const type = field(body, "type", isString) ?? "";
    const token = field(body, "token", isString) ?? "";
    let hashed = field(body, "token_hash", isString) ?? "";
    const email = field(body, "email", isString) ?? "";
    if (!type) throw new AuthError(400, "validation_failed", "Verify requires a verification type");
    if ((token === "") === (hashed === "")) {
      throw new AuthError(
        400,
        "validation_failed",
        "Verify requires either a token or a token hash",
      );
    }
    if (token) {
      if (field(body, "phone", isString)) throw notSupported("phone one-time codes");
      hashed = tokenHash(validEmail(email), token);
    } else if (email || field(body, "phone", isString) || field(body, "redirect_to", isString)) {
      throw new AuthError(
        400,
        "validation_failed",
        "Only the token_hash and type should be provided",
      );
    }
    const userId = await useEmailLink(type, hashed);
    return answer(200, await signInAs(sql, issuer, userId, "otp", userAgentOf(request)));
  }

  function route(request: Request, url: URL, path: string): Promise<Response> | Response {
    const method = request.method;
    const only = (allowed: string, run: () => Promise<Response> | Response) =>
      method === allowed ? run() : new Response(null, { status: 405, headers: corsHeaders });
    if (path === "/health") {
      return only("GET", () =>
        answer(200, {
          version: "local",
          name: "GoTrue",
          description: "GoTrue is a user registration and authentication API",
        }));
    }
    if (path === "/.well-known/jwks.json") {
      return only("GET", () =>
        answer(200, { keys: [context.signingKey.publicJwk] }, {
          "cache-control": "public, max-age=600",
        }));
    }
    if (path === "/token") return only("POST", () => token(request, url));
    if (path === "/logout") return only("POST", () => logout(request, url));
    if (path === "/user") {
      if (method === "PUT") return updateUser(request);
      return only("GET", () => getUser(request));
    }
    if (path === "/admin/generate_link") {
      return only("POST", () => adminGenerateLink(request, url));
    }
    if (path === "/verify") {
      if (method === "GET") return verifyLink(request, url);
      return only("POST", () => verifyOtp(request));
    }
    if (path === "/admin/users") {
      if (method === "GET") return adminListUsers(request, url);
      return only("POST", () => adminCreateUser(request));
    }
    const userPath = path.match(/^\/admin\/users\/([^/]+)$/);
    if (userPath && ["GET", "PUT", "DELETE"].includes(method)) {
      return adminUser(request, decodeURIComponent(userPath[1]));
    }
    for (const [pattern, feature] of unsupported) {
      if (pattern.test(path)) throw notSupported(feature);
    }
    return new Response("404 page not found\n", {
      status: 404,
      headers: { ...corsHeaders, "content-type": "text/plain; charset=utf-8" },
    });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.slice(prefix.length) || "/";
    if (request.method === "OPTIONS") {
      return new Response(null, {
        status: 200,
        headers: {
          ...corsHeaders,
          "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
          "access-control-allow-headers": request.headers.get("access-control-request-headers") ??
            "authorization, apikey, content-type, x-client-info, x-supabase-api-version",
          "access-control-max-age": "3600",
        },
      });
    }
    try {
      return await route(request, url, path);
    } catch (error) {
      if (error instanceof AuthError || error instanceof OAuthError) {
        return errorAnswer(request, error);
      }
      // Only the request line and the error: never a token, a password or a body.
      context.log(`[auth] ${request.method} ${url.pathname}: ${(error as Error).message}`);
      return errorAnswer(
        request,
        new AuthError(
          500,
          "unexpected_failure",
          "Unexpected failure, please check server logs for more information",
        ),
      );
    }
  }

  return {
    prefix,
    // Hosted's API gateway serves these without an apikey (as self-hosted Kong's open routes do).
    openPaths: [
      `${prefix}/.well-known/jwks.json`,
      `${prefix}/verify`,
      `${prefix}/callback`,
      `${prefix}/authorize`,
    ],
    handle,
    close: () => sql.end({ timeout: 5 }),
  };
}
