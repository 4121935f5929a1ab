// A local Email Bison: the REST subset this project uses (workspaces, sender emails with Laravel
// pagination, workspace stats and daily series, campaigns, interested replies, switch-workspace,
// the key's user, minting workspace keys, webhook subscriptions per workspace, event types, test
// events that really POST a sample to the URL given), per-request latency and injected faults, and
// a traffic mode that posts realistic webhooks of all 17 types — duplicates and out-of-order
// deliveries included — to a webhook URL at a chosen rate.
//
// Tests and benchmarks start it in-process with startBisonSimulator(); `npm start` runs it as the
// demo instance (see main below).
import { parseArgs } from "node:util";
import { bisonEvent, eventTypes, labelOf } from "./bison-events.ts";

export interface SimulatedMailbox {
  id: number;
  name: string;
  email: string;
  status: string;
  type: string;
  daily_limit: number | string;
  warmup_enabled: boolean;
  emails_sent_count: number | string;
  total_replied_count: number | string;
  unique_replied_count: number | string;
  total_opened_count: number;
  unique_opened_count: number;
  bounced_count: number | string;
  unsubscribed_count: number;
  interested_leads_count: number | string;
  total_leads_contacted_count: number;
  tags: { id: number; name: string }[];
  created_at: string;
  updated_at: string;
}

export interface SimulatedWebhook {
  id: number;
  name: string;
  url: string;
  /** Event ids (lower snake_case) the subscription is enabled for. */
  events: string[];
  created_at: string;
  updated_at: string;
}

/** One day of a workspace's daily series (line-area-chart-stats). */
export interface SimulatedDay {
  sent: number;
  replied: number;
  interested: number;
  bounced: number;
  unsubscribed: number;
  total_opens: number;
  unique_opens: number;
}

export interface SimulatedWorkspace {
  id: number;
  name: string;
  apiKey: string;
  mailboxes: SimulatedMailbox[];
  interestedReplies?: Record<string, unknown>[];
  stats?: Record<string, string>;
  /** Its webhook subscriptions, as Bison holds them (tests may change them behind our back). */
  webhooks?: SimulatedWebhook[];
  /**
   * Its daily series by YYYY-MM-DD; days missing are 0. Without it, every day up to today has
   * deterministic generated figures.
   */
  daily?: Record<string, Partial<SimulatedDay>>;
}

export interface Fault {
  /** Which requests: a path prefix such as /api/sender-emails (default: any). */
  path?: string;
  /** Only this method (default: any). */
  method?: string;
  workspaceId?: number;
  /** Only this page number. */
  page?: number;
  status?: number;
  retryAfterSeconds?: number;
  /** Extra latency before answering (with or without a status). */
  delayMs?: number;
  /** How many matching requests it applies to (default: forever). */
  times?: number;
}

export interface SimulatorOptions {
  workspaces: SimulatedWorkspace[];
  superAdminKey?: string;
  /** Latency added to every authenticated request, as a real instance's ~0.2 s a request. */
  latencyMs?: number;
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  page: number | null;
  workspaceId: number | null;
  status: number;
  /** When it arrived (epoch ms). */
  at: number;
}

/** A test delivery the instance was asked for, and what the URL answered (0: unreachable). */
export interface TestDelivery {
  eventType: string;
  url: string;
  status: number | null;
}

const tagNames = ["Zapmail", "CheapInboxes", "ScaledMail", "Mailr", "Warming", "Healthy"];

/** Deterministic, realistic REST mailboxes (ids from firstId on). */
export function generateMailboxes(count: number, firstId = 1): SimulatedMailbox[] {
  return Array.from({ length: count }, (_, index) => {
    const id = firstId + index;
    const google = id % 3 !== 0;
    const sent = 200 + ((id * 37) % 900);
    const asString = id % 5 === 0;
    return {
      id,
      name: `Sender ${id}`,
      email: `sender${id}@outreach${id % 40}.example.test`,
      status: id % 29 === 0 ? "Disconnected" : "Connected",
      type: id % 11 === 0 ? "Inbox" : google ? "google_workspace_oauth" : "microsoft_oauth",
      daily_limit: asString ? "30" : 30,
      warmup_enabled: id % 4 !== 0,
      emails_sent_count: asString ? String(sent) : sent,
      total_replied_count: Math.floor(sent / 90),
      unique_replied_count: asString ? String(Math.floor(sent / 100)) : Math.floor(sent / 100),
      total_opened_count: 0,
      unique_opened_count: 0,
      bounced_count: Math.floor(sent / 60),
      unsubscribed_count: Math.floor(sent / 300),
      interested_leads_count: Math.floor(sent / 400),
      total_leads_contacted_count: sent - 20,
      tags: [
        { id: 1 + (id % 4), name: tagNames[id % 4] },
        { id: 5 + (id % 2), name: tagNames[4 + (id % 2)] },
      ],
      created_at: "2026-01-05T10:00:00.000000Z",
      updated_at: new Date(Date.UTC(2026, 10, 1) + id * 1000).toISOString(),
    };
  });
}

/** Deterministic daily figures of a workspace for a day (none after today). */
export function generatedDay(workspaceId: number, day: string): SimulatedDay {
  if (day > new Date().toISOString().slice(0, 10)) {
    return {
      sent: 0,
      replied: 0,
      interested: 0,
      bounced: 0,
      unsubscribed: 0,
      total_opens: 0,
      unique_opens: 0,
    };
  }
  const seed = [...`${workspaceId}:${day}`].reduce(
    (sum, c) => (sum * 31 + c.charCodeAt(0)) % 9973,
    7,
  );
  const sent = 150 + (seed % 350);
  return {
    sent,
    replied: Math.floor(sent / 45),
    interested: Math.floor(sent / 180),
    bounced: Math.floor(sent / 70),
    unsubscribed: Math.floor(sent / 250),
    total_opens: 0,
    unique_opens: 0,
  };
}

const seriesLabels: [keyof SimulatedDay, string, string][] = [
  ["sent", "Sent", "#6366f1"],
  ["replied", "Replied", "#22c55e"],
  ["interested", "Interested", "#f59e0b"],
  ["bounced", "Bounced", "#ef4444"],
  ["unsubscribed", "Unsubscribed", "#64748b"],
  ["total_opens", "Total Opens", "#0ea5e9"],
  ["unique_opens", "Unique Opens", "#14b8a6"],
];

const eventIds = eventTypes.map((type) => type.toLowerCase());

/** Calendar days from start to end (YYYY-MM-DD), both included. */
function daysBetween(start: string, end: string): string[] {
  const days: string[] = [];
  const day = new Date(`${start}T00:00:00Z`);
  while (day <= new Date(`${end}T00:00:00Z`)) {
    days.push(day.toISOString().slice(0, 10));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}

export function startBisonSimulator(options: SimulatorOptions) {
  const workspaces = options.workspaces;
  for (const workspace of workspaces) workspace.webhooks ??= [];
  const faults: (Fault & { used: number })[] = [];
  const requests: RecordedRequest[] = [];
  const testDeliveries: TestDelivery[] = [];
  const pendingDeliveries = new Set<Promise<void>>();
  /** Keys minted through the API, with the workspace each belongs to. */
  const mintedKeys = new Map<string, number>();
  let superAdminWorkspace = workspaces[0]?.id ?? null;
  let latencyMs = options.latencyMs ?? 0;
  let nextId = 1;

  function workspaceForKey(key: string | null): SimulatedWorkspace | null | "super" {
    if (!key) return null;
    if (options.superAdminKey && key === options.superAdminKey) return "super";
    const minted = mintedKeys.get(key);
    return workspaces.find((workspace) => workspace.apiKey === key || workspace.id === minted) ??
      null;
  }

  function laravelPage<T>(url: URL, items: T[]) {
    const perPage = 15;
    const lastPage = Math.max(1, Math.ceil(items.length / perPage));
    const page = Math.max(1, Number(url.searchParams.get("page") ?? "1"));
    const link = (n: number) => {
      const next = new URL(url);
      next.searchParams.set("page", String(n));
      return next.toString();
    };
    const from = (page - 1) * perPage;
    return {
      data: items.slice(from, from + perPage),
      links: {
        first: link(1),
        last: link(lastPage),
        prev: page > 1 ? link(page - 1) : null,
        next: page < lastPage ? link(page + 1) : null,
      },
      meta: {
        current_page: page,
        from: items.length ? from + 1 : null,
        last_page: lastPage,
        path: `${url.origin}${url.pathname}`,
        per_page: perPage,
        to: Math.min(from + perPage, items.length),
        total: items.length,
      },
    };
  }

  /** Laravel's validation answer: 422 with the first message and every field's messages. */
  function invalid(errors: Record<string, string>) {
    const [first] = Object.values(errors);
    return Response.json({
      message: first,
      errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, [v]])),
    }, { status: 422 });
  }

  async function jsonBody(request: Request): Promise<Record<string, unknown>> {
    try {
      const body = await request.json();
      return body && typeof body === "object" && !Array.isArray(body) ? body : {};
    } catch {
      return {};
    }
  }

  function subscriptionErrors(body: Record<string, unknown>): Record<string, string> {
    const errors: Record<string, string> = {};
    if (typeof body.name !== "string" || !body.name.trim()) {
      errors.name = "The name field is required.";
    }
    if (typeof body.url !== "string" || !body.url) errors.url = "The url field is required.";
    else if (!/^https?:\/\/[^\s/]+/.test(body.url)) errors.url = "The url must be a valid URL.";
    if (!Array.isArray(body.events) || !body.events.length) {
      errors.events = "The events field is required.";
    } else if (body.events.some((event) => !eventIds.includes(String(event)))) {
      errors.events = "The selected events is invalid.";
    }
    return errors;
  }

  /** Posts the sample of a type to url in the background, as Bison's queue would. */
  function deliverTestEvent(eventType: string, url: string) {
    const delivery: TestDelivery = { eventType, url, status: null };
    testDeliveries.push(delivery);
    const sample = bisonEvent(eventType.toUpperCase(), {
      id: 4,
      workspaceId: 1,
      workspaceName: "Cody's Team",
      leadId: 1,
      campaignId: 2,
      senderEmailId: 3,
    });
    const sent = (async () => {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(sample),
          signal: AbortSignal.timeout(15_000),
        });
        await response.body?.cancel();
        delivery.status = response.status;
      } catch {
        delivery.status = 0;
      }
    })();
    pendingDeliveries.add(sent);
    sent.finally(() => pendingDeliveries.delete(sent));
  }

  async function route(
    request: Request,
    url: URL,
    owner: SimulatedWorkspace | "super",
    workspace: SimulatedWorkspace,
  ): Promise<Response> {
    const path = url.pathname.replace(/\/+$/, "");
    const method = request.method;
    const now = new Date().toISOString().replace("Z", "000Z");
    if (method === "GET" && path === "/api/users") {
      return Response.json({
        data: owner === "super"
          ? {
            id: 1,
            name: "Agency Owner",
            email: "owner@agency.example.test",
            team: { id: workspace.id, name: workspace.name },
          }
          : {
            id: 1000 + workspace.id,
            name: `API user of ${workspace.name}`,
            email: `api-${workspace.id}@agency.example.test`,
            team: { id: workspace.id, name: workspace.name },
          },
      });
    }
    if (method === "GET" && path === "/api/workspaces/v1.1") {
      const visible = owner === "super" ? workspaces : [workspace];
      return Response.json({
        data: visible.map((w) => ({ id: w.id, name: w.name, main: false, parent_id: null })),
      });
    }
    if (method === "POST" && path === "/api/workspaces/v1.1/switch-workspace") {
      if (owner !== "super") {
        return Response.json({ message: "Only a super-admin key can switch" }, { status: 403 });
      }
      const { team_id } = await jsonBody(request);
      superAdminWorkspace = Number(team_id);
      return Response.json({ data: { success: true, message: "Switched" } });
    }
    const minting = path.match(/^\/api\/workspaces\/v1\.1\/(\d+)\/api-tokens$/);
    if (method === "POST" && minting) {
      if (owner !== "super") {
        return Response.json({ message: "This action is unauthorized." }, { status: 403 });
      }
      const team = workspaces.find((w) => w.id === Number(minting[1]));
      if (!team) return Response.json({ message: "Team not found." }, { status: 404 });
      const { name } = await jsonBody(request);
      if (typeof name !== "string" || !name.trim()) {
        return invalid({ name: "The name field is required." });
      }
      const tokenId = nextId++;
      const secret = Array.from(crypto.getRandomValues(new Uint8Array(20)))
        .map((b) => b.toString(16).padStart(2, "0")).join("");
      const token = `${tokenId}|${secret}`;
      mintedKeys.set(token, team.id);
      return Response.json({
        data: { id: tokenId, name, type: "api-user", plain_text_token: token },
      }, { status: 201 });
    }
    if (method === "GET" && path === "/api/webhook-url") {
      return Response.json({ data: workspace.webhooks });
    }
    if (method === "POST" && path === "/api/webhook-url") {
      const body = await jsonBody(request);
      const errors = subscriptionErrors(body);
      if (Object.keys(errors).length) return invalid(errors);
      const webhook: SimulatedWebhook = {
        id: nextId++,
        name: String(body.name),
        url: String(body.url),
        events: (body.events as unknown[]).map(String),
        created_at: now,
        updated_at: now,
      };
      workspace.webhooks!.push(webhook);
      return Response.json({ data: webhook }, { status: 201 });
    }
    const one = path.match(/^\/api\/webhook-url\/(\d+)$/);
    if (one && (method === "PUT" || method === "DELETE" || method === "GET")) {
      const webhook = workspace.webhooks!.find((w) => w.id === Number(one[1]));
      if (!webhook) return Response.json({ message: "Not found." }, { status: 404 });
      if (method === "GET") return Response.json({ data: webhook });
      if (method === "DELETE") {
        workspace.webhooks!.splice(workspace.webhooks!.indexOf(webhook), 1);
        return Response.json({ data: { success: true, message: "Webhook deleted" } });
      }
      const body = await jsonBody(request);
      const errors = subscriptionErrors(body);
      if (Object.keys(errors).length) return invalid(errors);
      Object.assign(webhook, {
        name: String(body.name),
        url: String(body.url),
        events: (body.events as unknown[]).map(String),
        updated_at: now,
      });
      return Response.json({ data: webhook });
    }
    if (method === "GET" && path === "/api/webhook-events/event-types") {
      return Response.json({
        data: eventTypes.map((type) => ({ name: labelOf(type), id: type.toLowerCase() })),
      });
    }
    if (method === "GET" && path === "/api/webhook-events/sample-payload") {
      const type = url.searchParams.get("event_type") ?? "";
      if (!eventIds.includes(type)) {
        return invalid({ event_type: "The selected event type is invalid." });
      }
      return Response.json({
        data: bisonEvent(type.toUpperCase(), {
          id: 4,
          workspaceId: 1,
          workspaceName: "Cody's Team",
        }),
      });
    }
    if (method === "POST" && path === "/api/webhook-events/test-event") {
      const body = await jsonBody(request);
      const errors: Record<string, string> = {};
      if (!eventIds.includes(String(body.event_type ?? ""))) {
        errors.event_type = "The selected event type is invalid.";
      }
      if (typeof body.url !== "string" || !/^https?:\/\/[^\s/]+/.test(body.url)) {
        errors.url = "The url must be a valid URL.";
      }
      if (Object.keys(errors).length) return invalid(errors);
      deliverTestEvent(String(body.event_type), String(body.url));
      return Response.json({ data: { success: true, message: "Test event sent" } });
    }
    if (method === "GET" && path === "/api/workspaces/v1.1/line-area-chart-stats") {
      const start = url.searchParams.get("start_date") ?? "";
      const end = url.searchParams.get("end_date") ?? "";
      const dateShape = /^\d{4}-\d{2}-\d{2}$/;
      if (!dateShape.test(start) || !dateShape.test(end) || start > end) {
        return invalid({
          start_date: "The start date must be a date before or equal to end date.",
        });
      }
      const days = daysBetween(start, end);
      const figures = (day: string): Partial<SimulatedDay> =>
        workspace.daily ? workspace.daily[day] ?? {} : generatedDay(workspace.id, day);
      return Response.json({
        data: seriesLabels.map(([field, label, color]) => ({
          label,
          color,
          dates: days.map((day) => [day, figures(day)[field] ?? 0]),
        })),
      });
    }
    if (method === "GET" && path === "/api/sender-emails") {
      return Response.json(laravelPage(url, workspace.mailboxes));
    }
    if (method === "GET" && path === "/api/replies") {
      const replies = url.searchParams.get("status") === "interested"
        ? workspace.interestedReplies ?? []
        : [];
      return Response.json(laravelPage(url, replies));
    }
    if (method === "GET" && path === "/api/campaigns") {
      return Response.json(laravelPage(url, [{ id: 2, name: "Campaign 2", status: "active" }]));
    }
    if (method === "GET" && path === "/api/workspaces/v1.1/stats") {
      return Response.json({
        data: workspace.stats ?? {
          emails_sent: "0",
          total_leads_contacted: "0",
          opened: "0",
          unique_replies_per_contact: "0",
          bounced: "0",
          unsubscribed: "0",
          interested: "0",
        },
      });
    }
    return Response.json({ message: "Not Found" }, { status: 404 });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const page = url.searchParams.has("page") ? Number(url.searchParams.get("page")) : null;
    const key = request.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? null;
    const owner = workspaceForKey(key);
    const workspace = owner === "super"
      ? workspaces.find((w) => w.id === superAdminWorkspace) ?? null
      : owner;
    const record = (status: number) =>
      requests.push({
        method: request.method,
        path: url.pathname,
        page,
        workspaceId: workspace?.id ?? null,
        status,
        at: Date.now(),
      });

    const fault = faults.find((f) =>
      (f.times === undefined || f.used < f.times) &&
      (!f.path || url.pathname.startsWith(f.path)) &&
      (!f.method || f.method === request.method) &&
      (f.workspaceId === undefined || f.workspaceId === workspace?.id) &&
      (f.page === undefined || f.page === (page ?? 1))
    );
    if (fault) {
      fault.used++;
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.status) {
        record(fault.status);
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) {
          headers["retry-after"] = String(fault.retryAfterSeconds);
        }
        return Response.json({ message: `Simulated ${fault.status}` }, {
          status: fault.status,
          headers,
        });
      }
    }
    if (!owner || !workspace) {
      record(401);
      return Response.json({ message: "Unauthenticated." }, { status: 401 });
    }
    if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const response = await route(request, url, owner, workspace);
    record(response.status);
    return response;
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    handle,
  );

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    workspaces,
    requests,
    testDeliveries,
    /** How many keys were minted through the API, per workspace id. */
    mintedKeyCount: (workspaceId: number) =>
      [...mintedKeys.values()].filter((id) => id === workspaceId).length,
    /** Revokes every key minted for the workspace (its own apiKey stays). */
    revokeMintedKeys(workspaceId: number) {
      for (const [key, id] of mintedKeys) if (id === workspaceId) mintedKeys.delete(key);
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    injectFault(fault: Fault) {
      faults.push({ ...fault, used: 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      await Promise.all(pendingDeliveries);
      await server.shutdown();
    },
  };
}
export type BisonSimulator = ReturnType<typeof startBisonSimulator>;

export interface TrafficOptions {
  webhookUrl: string;
  /** Deliveries per second. */
  rate: number;
  /** Which workspaces send, each with the mailboxes its events come from. */
  workspaces: { id: number; mailboxIds: number[] }[];
  /** Stop after this many deliveries (default: until stopped). */
  limit?: number;
  duplicateRate?: number;
  /** Share of events held back and sent after later ones. */
  outOfOrderRate?: number;
  firstEventId?: number;
  onDelivery?: (status: number) => void;
}

const trafficWeights: [string, number][] = [
  ["EMAIL_SENT", 60],
  ["LEAD_FIRST_CONTACTED", 12],
  ["EMAIL_OPENED", 6],
  ["LEAD_REPLIED", 6],
  ["LEAD_INTERESTED", 2],
  ["EMAIL_BOUNCED", 3],
  ["LEAD_UNSUBSCRIBED", 2],
  ["MANUAL_EMAIL_SENT", 2],
  ["UNTRACKED_REPLY_RECEIVED", 2],
  ...eventTypes.slice(9).map((type): [string, number] => [type, 0.625]),
];

function pickType(random: number): string {
  const total = trafficWeights.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = random * total;
  for (const [type, weight] of trafficWeights) {
    threshold -= weight;
    if (threshold <= 0) return type;
  }
  return "EMAIL_SENT";
}

/** Posts realistic webhooks until stopped or the limit is reached. */
export function startTraffic(options: TrafficOptions) {
  let stopped = false;
  let sent = 0;
  let nextId = options.firstEventId ?? Date.now();
  const history: unknown[] = [];
  const heldBack: unknown[] = [];
  const post = async (body: unknown) => {
    try {
      const response = await fetch(options.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await response.body?.cancel();
      options.onDelivery?.(response.status);
    } catch {
      options.onDelivery?.(0);
    }
  };
  const done = (async () => {
    while (!stopped && (options.limit === undefined || sent < options.limit)) {
      let body: unknown;
      if (history.length && Math.random() < (options.duplicateRate ?? 0.1)) {
        body = history[Math.floor(Math.random() * history.length)];
      } else if (heldBack.length && Math.random() < 0.5) {
        body = heldBack.shift();
      } else {
        const workspace = options.workspaces[sent % options.workspaces.length];
        const mailboxes = workspace.mailboxIds.length ? workspace.mailboxIds : [1];
        body = bisonEvent(pickType(Math.random()), {
          id: nextId++,
          workspaceId: workspace.id,
          workspaceName: `Demo client ${workspace.id}`,
          leadId: 1 + Math.floor(Math.random() * 5000),
          campaignId: 2 + (nextId % 4),
          senderEmailId: mailboxes[nextId % mailboxes.length],
        });
        history.push(body);
        if (history.length > 500) history.shift();
        if (Math.random() < (options.outOfOrderRate ?? 0.05)) {
          heldBack.push(body);
          continue;
        }
      }
      sent++;
      post(body);
      await new Promise((resolve) => setTimeout(resolve, 1000 / options.rate));
    }
  })();
  return {
    sent: () => sent,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "54329" },
      workspaces: { type: "string", default: "3" },
      mailboxes: { type: "string", default: "40" },
      latency: { type: "string", default: "0" },
      "webhook-url": { type: "string" },
      rate: { type: "string", default: "2" },
      "key-prefix": { type: "string", default: "demo-workspace-key" },
      "super-admin-key": { type: "string" },
    },
  });
  const workspaceCount = Number(values.workspaces);
  const perWorkspace = Number(values.mailboxes);
  const simulator = startBisonSimulator({
    port: Number(values.port),
    latencyMs: Number(values.latency),
    superAdminKey: values["super-admin-key"],
    workspaces: Array.from({ length: workspaceCount }, (_, index) => ({
      id: index + 1,
      name: `Demo client ${index + 1}`,
      apiKey: `${values["key-prefix"]}-${index + 1}`,
      mailboxes: generateMailboxes(perWorkspace, index * perWorkspace + 1),
    })),
  });
  console.error(`bison simulator: ${workspaceCount} workspaces on ${simulator.url}`);
  const webhookUrl = values["webhook-url"] ?? Deno.env.get("DEMO_WEBHOOK_URL");
  if (webhookUrl) {
    startTraffic({
      webhookUrl,
      rate: Number(values.rate),
      workspaces: simulator.workspaces.map((workspace) => ({
        id: workspace.id,
        mailboxIds: workspace.mailboxes.slice(0, 5).map((mailbox) => mailbox.id),
      })),
    });
    console.error(`bison simulator: sending ${values.rate} webhooks/s to the demo connection`);
  }
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
}
