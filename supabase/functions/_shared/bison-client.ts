// A typed Email Bison REST client: bearer key per workspace, Laravel pagination followed through
// links.next (15 items a page whatever per_page says), responses validated with zod (counters as
// numbers or strings), timeouts on every request, 429 and 5xx retried with a backoff that honours
// Retry-After, and 401/403 reported as a credential problem, never retried. The key only ever
// goes to the instance's own origin (no cross-origin next link or redirect is followed), whose
// host is resolved before every request and refused when it leads to a loopback, link-local or
// private address unless the connection opted in (network-address.ts); every request first takes
// its turn in its connection's request budget. A run's deadline (signal) stops every request,
// wait and retry at once: nothing is asked of Bison after it.
import { z } from "zod";
import { retryAfterMs } from "./http.ts";
import { assertPublicHost, type ResolveAddresses } from "./network-address.ts";

export class BisonError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = new.target.name;
  }
}
/** The key is wrong, revoked or for another workspace: fix the credential, do not retry. */
export class BisonCredentialError extends BisonError {}
/** Pagination ended with a count that disagrees with meta.total. */
export class BisonIncompleteError extends BisonError {}
/** The instance resolves to an address it may not use (or to none): nothing was sent. */
export class BisonAddressError extends BisonError {}
/** The run's deadline came (the options' signal): what was not asked is left for the next run. */
export class BisonDeadlineError extends BisonError {}

export interface BisonClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** Attempts per request for 429, 5xx and network errors. */
  maxAttempts?: number;
  /**
   * Without a budget: a proactive one of this many requests a minute, shared by every client of
   * the same origin in this process; defaultRequestsPerMinute when not given.
   */
  requestsPerMinute?: number;
  /** The connection's budget, shared with every process (request-budget.ts), or a test's own. */
  budget?: RequestBudget;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The run's deadline (run-deadline.ts): once it aborts, no request is sent, waited for,
   * retried or given its turn in the budget; the call fails with BisonDeadlineError.
   */
  signal?: AbortSignal;
  /**
   * Whether the instance may resolve to a loopback, link-local or private address (a connection
   * made with --allow-private-address, for local development). A function is asked once, on the
   * first request. Default: refused.
   */
  allowPrivateAddress?: boolean | (() => Promise<boolean>);
  resolveAddresses?: ResolveAddresses;
}

/** Under the rate Bison is reported to allow (about 3,000 a minute per key). */
export const defaultRequestsPerMinute = 2500;
/** Same-origin redirects followed per request (cross-origin ones never are). */
const maxRedirects = 5;

/**
 * A proactive request budget: at most perMinute requests in any minute, with bursts of up to a
 * second's worth. Each take() reserves the next free slot at once (so concurrent callers queue in
 * order) and waits until it comes.
 */
export interface RequestBudget {
  take(): Promise<void>;
}

export function createRequestBudget(
  perMinute: number,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = {
    now: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
): RequestBudget {
  if (!Number.isFinite(perMinute) || perMinute < 1) {
    throw new RangeError(`a request budget needs at least 1 request a minute, got ${perMinute}`);
  }
  const spacingMs = 60_000 / perMinute;
  // A second's worth of requests may go at once; the minute as a whole stays within perMinute.
  const burst = Math.max(1, Math.floor(perMinute / 60));
  const toleranceMs = (burst - 1) * spacingMs;
  let theoreticalArrival = -Infinity;
  return {
    async take() {
      const now = clock.now();
      const start = Math.max(theoreticalArrival, now);
      theoreticalArrival = start + spacingMs;
      const waitMs = start - toleranceMs - now;
      if (waitMs > 0) await clock.sleep(waitMs);
    },
  };
}

const sharedBudgets = new Map<string, { perMinute: number; budget: RequestBudget }>();

/** The budget every client of this origin shares in this process (one per connection). */
export function connectionBudget(baseUrl: string, perMinute: number): RequestBudget {
  const origin = new URL(baseUrl).origin;
  const known = sharedBudgets.get(origin);
  if (known && known.perMinute === perMinute) return known.budget;
  const budget = createRequestBudget(perMinute);
  sharedBudgets.set(origin, { perMinute, budget });
  return budget;
}

const counter = z.union([z.number(), z.string()]).nullish().transform((value) => {
  if (value === null || value === undefined || value === "") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
});

export const senderEmailSchema = z.object({
  id: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number),
  name: z.string().nullish(),
  email: z.string().nullish(),
  status: z.string().nullish(),
  type: z.string().nullish(),
  daily_limit: counter,
  warmup_enabled: z.union([z.boolean(), z.number(), z.string()]).nullish(),
  emails_sent_count: counter,
  total_replied_count: counter,
  unique_replied_count: counter,
  total_opened_count: counter,
  unique_opened_count: counter,
  bounced_count: counter,
  unsubscribed_count: counter,
  interested_leads_count: counter,
  total_leads_contacted_count: counter,
  tags: z.array(
    z.object({ id: z.union([z.number(), z.string()]).nullish(), name: z.string() })
      .passthrough(),
  ).nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
}).passthrough();
export type SenderEmail = z.infer<typeof senderEmailSchema>;

export const workspaceSchema = z.object({
  id: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number),
  name: z.string().nullish(),
  main: z.union([z.boolean(), z.number()]).nullish(),
  parent_id: z.union([z.number(), z.string()]).nullish(),
}).passthrough();
export type BisonWorkspace = z.infer<typeof workspaceSchema>;

export const replySchema = z.object({
  id: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number),
  uuid: z.string().nullish(),
  subject: z.string().nullish(),
  email_subject: z.string().nullish(),
  text_body: z.string().nullish(),
  date_received: z.string().nullish(),
  from_name: z.string().nullish(),
  from_email_address: z.string().nullish(),
  interested: z.union([z.boolean(), z.number()]).nullish(),
  automated_reply: z.union([z.boolean(), z.number()]).nullish(),
  lead_id: z.union([z.number(), z.string()]).nullish(),
  campaign_id: z.union([z.number(), z.string()]).nullish(),
  sender_email_id: z.union([z.number(), z.string()]).nullish(),
}).passthrough();
export type BisonReply = z.infer<typeof replySchema>;

const statsSchema = z.object({
  data: z.object({
    emails_sent: counter,
    total_leads_contacted: counter,
    opened: counter,
    unique_replies_per_contact: counter,
    bounced: counter,
    unsubscribed: counter,
    interested: counter,
  }).passthrough(),
});
export type WorkspaceStats = z.infer<typeof statsSchema>["data"];

const bisonId = z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number);

const userSchema = z.object({
  data: z.object({
    id: bisonId.nullish(),
    name: z.string().nullish(),
    email: z.string().nullish(),
    team: z.object({ id: bisonId, name: z.string().nullish() }).passthrough().nullish(),
    current_team_id: bisonId.nullish(),
  }).passthrough(),
});
/** The user a key belongs to, and the workspace (team) the key currently acts in. */
export interface BisonUser {
  id: number | null;
  name: string | null;
  email: string | null;
  team_id: number | null;
  team_name: string | null;
}

export const webhookSubscriptionSchema = z.object({
  id: bisonId,
  name: z.string().nullish(),
  url: z.string(),
  events: z.array(z.string()).nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
}).passthrough();
export type WebhookSubscription = z.infer<typeof webhookSubscriptionSchema>;
/** What a subscription is made of (POST and PUT take all three; PUT replaces the event list). */
export interface WebhookSubscriptionFields {
  name: string;
  url: string;
  events: string[];
}

const eventTypesSchema = z.object({
  data: z.array(z.object({ id: z.string().min(1), name: z.string().nullish() }).passthrough()),
});

const lineChartSchema = z.object({
  data: z.array(
    z.object({
      label: z.string(),
      dates: z.array(z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2}$/), counter])),
    }).passthrough(),
  ),
});
/** The daily series labels of line-area-chart-stats, as the columns of a day row. */
const seriesColumns: Record<string, keyof Omit<BisonDayCounts, "day">> = {
  "Sent": "emails_sent",
  "Replied": "replies",
  "Interested": "interested",
  "Bounced": "bounces",
  "Unsubscribed": "unsubscribes",
  "Total Opens": "opens",
};
/** Bison's own counts for one day of a workspace; null where Bison sent no series for it. */
export interface BisonDayCounts {
  day: string;
  emails_sent: number | null;
  replies: number | null;
  interested: number | null;
  bounces: number | null;
  unsubscribes: number | null;
  opens: number | null;
}

const pageSchema = z.object({
  data: z.array(z.unknown()),
  links: z.object({ next: z.string().nullish() }).passthrough().nullish(),
  meta: z.object({
    current_page: z.number().nullish(),
    last_page: z.number().nullish(),
    total: z.number().nullish(),
    next_cursor: z.string().nullish(),
  }).passthrough().nullish(),
}).passthrough();

export interface PageProgress<T = unknown> {
  page: number;
  fetched: number;
  /** meta.total when the endpoint reports it. */
  total: number | null;
  /** This page's items. */
  items: T[];
  /** The page after it (null: it was the last): where a list stopped after it would resume. */
  next: string | null;
}

export interface ListResult<T> {
  items: T[];
  pages: number;
  total: number | null;
  /** Where to resume when shouldStop ended the list early; null when the list is complete. */
  next: string | null;
}

export interface ListOptions<T> {
  onPage?: (progress: PageProgress<T>) => void | Promise<void>;
  /** Stop after the page for which this returns true (the list is then partial). */
  stopAfter?: (pageItems: T[]) => boolean;
  /**
   * The list is complete only when Bison says how long it is: without meta.total it fails
   * with BisonIncompleteError instead of passing for the whole list.
   */
  requireTotal?: boolean;
  /**
   * Resume a list an earlier call left (its result's next), having fetched fetchedBefore items
   * in pagesBefore pages: the completeness check counts them.
   */
  resume?: { from: string; fetchedBefore: number; pagesBefore: number };
  /**
   * Asked before each page after the first: true ends the list there, incomplete, with next
   * saying where to resume.
   */
  shouldStop?: () => boolean;
  /** False: the result's items stay empty (onPage takes each page's): the caller keeps less. */
  collect?: boolean;
}

function retryDelayMs(response: Response | null, attempt: number): number {
  const told = retryAfterMs(response?.headers);
  if (told !== null) return Math.min(told, 60_000);
  return Math.min(500 * 2 ** attempt, 8000) * (0.75 + Math.random() * 0.5);
}

function laravelMessage(body: unknown): string | null {
  const value = body as { message?: unknown; data?: { message?: unknown } } | null;
  const message = value?.message ?? value?.data?.message;
  return typeof message === "string" ? message.slice(0, 300) : null;
}

export function createBisonClient(options: BisonClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const budget = options.budget ??
    connectionBudget(base, options.requestsPerMinute ?? defaultRequestsPerMinute);
  const instance = new URL(base).origin;
  const deadline = options.signal;

  /** Fails with BisonDeadlineError as soon as the run's deadline comes. */
  function beforeDeadline<T>(what: string, work: Promise<T>): Promise<T> {
    if (!deadline) return work;
    const passed = () => new BisonDeadlineError(`${what}: the run's deadline came first`);
    if (deadline.aborted) return Promise.reject(passed());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(passed());
      deadline.addEventListener("abort", onAbort, { once: true });
      work.then(resolve, reject).finally(() => deadline.removeEventListener("abort", onAbort));
    });
  }

  let privateAllowed: Promise<boolean> | null = null;

  /** Refuses a host that resolves to a private address, unless the connection opted in. */
  async function checkDestination(url: string): Promise<void> {
    const allow = options.allowPrivateAddress ?? false;
    privateAllowed ??= typeof allow === "function" ? allow() : Promise.resolve(allow);
    if (await privateAllowed) return;
    try {
      await assertPublicHost(url, options.resolveAddresses);
    } catch (error) {
      throw new BisonAddressError((error as Error).message);
    }
  }

  /** Refuses any URL outside the instance: the key must only ever go there. */
  function sameOrigin(url: string, why: string): string {
    const origin = new URL(url).origin;
    if (origin !== instance) {
      throw new BisonError(
        `refusing ${why} another origin (${origin}): the API key stays with ${instance}`,
      );
    }
    return url;
  }

  /** One HTTP exchange, following same-origin redirects itself and refusing any other. */
  async function send(url: string, init: RequestInit): Promise<Response> {
    let target = url;
    let method = init.method ?? "GET";
    let body = init.body;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      await beforeDeadline(`${method} ${new URL(target).pathname}`, budget.take());
      const response = await doFetch(target, {
        ...init,
        method,
        body,
        redirect: "manual",
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: "application/json",
          ...(body ? { "content-type": "application/json" } : {}),
        },
        signal: deadline
          ? AbortSignal.any([AbortSignal.timeout(timeoutMs), deadline])
          : AbortSignal.timeout(timeoutMs),
      });
      const location = response.headers.get("location");
      if (response.status < 300 || response.status > 399 || !location) return response;
      await response.body?.cancel();
      target = sameOrigin(new URL(location, target).toString(), "to follow a redirect to");
      if (response.status === 303 || ([301, 302].includes(response.status) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
    }
    throw new BisonError(`${method} ${new URL(url).pathname}: more than ${maxRedirects} redirects`);
  }

  async function request(pathOrUrl: string, init: RequestInit = {}): Promise<unknown> {
    const url = sameOrigin(
      pathOrUrl.startsWith("http") ? pathOrUrl : `${base}${pathOrUrl}`,
      "to send a request to",
    );
    const what = `${init.method ?? "GET"} ${new URL(url).pathname}`;
    await beforeDeadline(what, checkDestination(url));
    let lastError: BisonError | null = null;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      let response: Response | null = null;
      try {
        response = await send(url, init);
      } catch (error) {
        if (error instanceof BisonError) throw error;
        if (deadline?.aborted) {
          throw new BisonDeadlineError(`${what}: the run's deadline came first`);
        }
        const timedOut = error instanceof DOMException && error.name === "TimeoutError";
        lastError = new BisonError(
          `${what}: ${timedOut ? `no answer within ${timeoutMs} ms` : (error as Error).message}`,
        );
      }
      if (response) {
        const body = await response.json().catch(() => null);
        if (response.ok) return body;
        const detail = laravelMessage(body);
        if (response.status === 401 || response.status === 403) {
          throw new BisonCredentialError(
            `${what}: the API key was refused (${response.status}${detail ? `: ${detail}` : ""})`,
            response.status,
          );
        }
        if (response.status !== 429 && response.status < 500) {
          throw new BisonError(
            `${what}: ${response.status}${detail ? ` ${detail}` : ""}`,
            response.status,
          );
        }
        lastError = new BisonError(
          `${what}: ${response.status} after ${attempt + 1} attempts`,
          response.status,
        );
      }
      if (attempt + 1 < maxAttempts) {
        await beforeDeadline(what, sleep(retryDelayMs(response, attempt)));
      }
    }
    throw lastError ?? new BisonError(`${what}: failed`);
  }

  function shapeError(what: string, error: z.ZodError): BisonError {
    const issue = error.issues[0];
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    return new BisonError(`${what}: not the answer Email Bison gives (${where}${issue.message})`);
  }

  async function subscriptionAnswer(
    path: string,
    method: "POST" | "PUT",
    fields: WebhookSubscriptionFields,
  ): Promise<WebhookSubscription> {
    const parsed = z.object({ data: webhookSubscriptionSchema }).safeParse(
      await request(path, { method, body: JSON.stringify(fields) }),
    );
    if (!parsed.success) throw shapeError(path, parsed.error);
    return parsed.data.data;
  }

  /** Every item of a paginated list, page after page through links.next (or next_cursor). */
  async function list<T>(
    path: string,
    schema: z.ZodType<T>,
    { onPage, stopAfter, requireTotal = false, resume, shouldStop, collect = true }: ListOptions<
      T
    > = {},
  ): Promise<ListResult<T>> {
    const items: T[] = [];
    let counted = 0;
    let next: string | null = resume?.from ?? path;
    let pages = resume?.pagesBefore ?? 0;
    const fetchedBefore = resume?.fetchedBefore ?? 0;
    let total: number | null = null;
    const seen = new Set<string>();
    while (next) {
      if (seen.size > 0 && shouldStop?.()) return { items, pages, total, next };
      if (seen.has(next)) throw new BisonError(`pagination loops back to ${next}`);
      seen.add(next);
      const page = pageSchema.safeParse(await request(next));
      if (!page.success) {
        throw new BisonError(
          `${path}: unexpected response shape (${page.error.issues[0].message})`,
        );
      }
      pages++;
      const pageItems: T[] = [];
      for (const raw of page.data.data) {
        const item = schema.safeParse(raw);
        if (!item.success) {
          throw new BisonError(
            `${path}: an item has an unexpected shape (${item.error.issues[0].path.join(".")}: ${
              item.error.issues[0].message
            })`,
          );
        }
        pageItems.push(item.data);
      }
      if (collect) items.push(...pageItems);
      counted += pageItems.length;
      total = page.data.meta?.total ?? total;
      const cursor = page.data.meta?.next_cursor;
      if (page.data.links?.next) next = page.data.links.next;
      else if (cursor) {
        const url = new URL(path.startsWith("http") ? path : `${base}${path}`);
        url.searchParams.set("cursor", cursor);
        next = url.toString();
      } else next = null;
      await onPage?.({
        page: pages,
        fetched: fetchedBefore + counted,
        total,
        items: pageItems,
        next,
      });
      if (stopAfter?.(pageItems)) return { items, pages, total, next: null };
    }
    const fetched = fetchedBefore + counted;
    if (total === null && requireTotal) {
      throw new BisonIncompleteError(
        `${path}: Bison gave no meta.total, so ${fetched} items cannot be known to be all`,
      );
    }
    if (total !== null && total !== fetched) {
      throw new BisonIncompleteError(
        `${path}: fetched ${fetched} items but meta.total says ${total}`,
      );
    }
    return { items, pages, total, next: null };
  }

  return {
    request,
    list,
    /**
     * The whole inventory: complete only when every page came and matched meta.total. A slice
     * may stop it early (shouldStop) and a later one resume it where it stopped.
     */
    listSenderEmails: (
      onPage?: (progress: PageProgress<SenderEmail>) => void | Promise<void>,
      slice: Pick<ListOptions<SenderEmail>, "resume" | "shouldStop" | "collect"> = {},
    ) => list("/api/sender-emails", senderEmailSchema, { onPage, requireTotal: true, ...slice }),
    listWorkspaces: () => list("/api/workspaces/v1.1", workspaceSchema),
    /** Interested replies, page by page, until stopAfter says the rest is already known. */
    listInterestedReplies: (stopAfter?: (pageItems: BisonReply[]) => boolean) =>
      list("/api/replies?status=interested", replySchema, { stopAfter, requireTotal: true }),
    /** Bison's own numbers for a date range (values arrive as strings). */
    async workspaceStats(startDate: string, endDate: string): Promise<WorkspaceStats> {
      const query = new URLSearchParams({ start_date: startDate, end_date: endDate });
      const parsed = statsSchema.safeParse(
        await request(`/api/workspaces/v1.1/stats?${query}`),
      );
      if (!parsed.success) {
        throw new BisonError(
          `workspace stats: unexpected shape (${parsed.error.issues[0].message})`,
        );
      }
      return parsed.data.data;
    },
    /** Who the key belongs to and which workspace it acts in: the cheap check of a key. */
    async currentUser(): Promise<BisonUser> {
      const parsed = userSchema.safeParse(await request("/api/users"));
      if (!parsed.success) throw shapeError("/api/users", parsed.error);
      const user = parsed.data.data;
      return {
        id: user.id ?? null,
        name: user.name ?? null,
        email: user.email ?? null,
        team_id: user.team?.id ?? user.current_team_id ?? null,
        team_name: user.team?.name ?? null,
      };
    },
    /** Mints an api-user key for a workspace (super-admin keys only); shown by Bison only once. */
    async createWorkspaceApiToken(teamId: number, name: string): Promise<string> {
      const path = `/api/workspaces/v1.1/${teamId}/api-tokens`;
      const parsed = z.object({
        data: z.object({ plain_text_token: z.string().regex(/^\S{8,}$/) }).passthrough(),
      }).safeParse(await request(path, { method: "POST", body: JSON.stringify({ name }) }));
      if (!parsed.success) throw shapeError(path, parsed.error);
      return parsed.data.data.plain_text_token;
    },
    /** The webhook subscriptions of the key's workspace. */
    listWebhookSubscriptions: async () =>
      (await list("/api/webhook-url", webhookSubscriptionSchema)).items,
    createWebhookSubscription: (fields: WebhookSubscriptionFields) =>
      subscriptionAnswer("/api/webhook-url", "POST", fields),
    /** Replaces the subscription: events left out are disabled. */
    updateWebhookSubscription: (id: number, fields: WebhookSubscriptionFields) =>
      subscriptionAnswer(`/api/webhook-url/${id}`, "PUT", fields),
    async deleteWebhookSubscription(id: number): Promise<void> {
      await request(`/api/webhook-url/${id}`, { method: "DELETE" });
    },
    /** The event ids a subscription may hold (lower snake_case, e.g. email_sent). */
    async webhookEventTypes(): Promise<string[]> {
      const path = "/api/webhook-events/event-types";
      const parsed = eventTypesSchema.safeParse(await request(path));
      if (!parsed.success) throw shapeError(path, parsed.error);
      return parsed.data.data.map((type) => type.id);
    },
    /** Asks Bison to POST a sample event of this type to url (registered or not). */
    async sendTestEvent(eventType: string, url: string): Promise<void> {
      await request("/api/webhook-events/test-event", {
        method: "POST",
        body: JSON.stringify({ event_type: eventType, url }),
      });
    },
    /** Bison's daily series for the key's workspace, one row per day it reports. */
    async dailyCounts(startDate: string, endDate: string): Promise<BisonDayCounts[]> {
      const query = new URLSearchParams({ start_date: startDate, end_date: endDate });
      const path = `/api/workspaces/v1.1/line-area-chart-stats?${query}`;
      const parsed = lineChartSchema.safeParse(await request(path));
      if (!parsed.success) throw shapeError("line-area-chart-stats", parsed.error);
      const days = new Map<string, BisonDayCounts>();
      for (const series of parsed.data.data) {
        const column = seriesColumns[series.label.trim()];
        if (!column) continue;
        for (const [day, value] of series.dates) {
          if (day < startDate || day > endDate) continue;
          const row = days.get(day) ?? {
            day,
            emails_sent: null,
            replies: null,
            interested: null,
            bounces: null,
            unsubscribes: null,
            opens: null,
          };
          row[column] = value;
          days.set(day, row);
        }
      }
      return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
    },
    switchWorkspace: (teamId: number) =>
      request("/api/workspaces/v1.1/switch-workspace", {
        method: "POST",
        body: JSON.stringify({ team_id: teamId }),
      }),
  };
}
export type BisonClient = ReturnType<typeof createBisonClient>;

/** What calling Bison for one workspace needs to know of its key. */
export interface WorkspaceKey {
  api_key: string;
  /** A super_admin key serves every workspace of its user, one at a time. */
  key_kind: "workspace" | "super_admin";
  bison_workspace_id: number;
}

/** Holds a lock on an API key, shared with every other run, while work runs. */
export type KeyLock = <T>(apiKey: string, work: () => Promise<T>) => Promise<T>;

/**
 * Runs work with the client pointed at the workspace: straight away with a workspace's own key;
 * with a super-admin key, under the key's lock and after switching to the workspace, since the
 * key follows its user's current workspace.
 */
export function asWorkspace<T>(
  client: BisonClient,
  key: WorkspaceKey,
  keyLock: KeyLock,
  work: () => Promise<T>,
): Promise<T> {
  if (key.key_kind !== "super_admin") return work();
  return keyLock(
    key.api_key,
    () => withWorkspaceSwitched(client, key.api_key, key.bison_workspace_id, work),
  );
}

const switchLocks = new Map<string, Promise<unknown>>();

/**
 * A super-admin key follows its user's *current* workspace, global state on Bison's side: runs
 * sharing a key must take turns switching and fetching. Serialised per key in this process.
 */
export function withWorkspaceSwitched<T>(
  client: BisonClient,
  apiKey: string,
  teamId: number,
  work: () => Promise<T>,
): Promise<T> {
  const previous = switchLocks.get(apiKey) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(async () => {
    await client.switchWorkspace(teamId);
    return await work();
  });
  switchLocks.set(apiKey, next);
  next.finally(() => {
    if (switchLocks.get(apiKey) === next) switchLocks.delete(apiKey);
  }).catch(() => {});
  return next;
}
