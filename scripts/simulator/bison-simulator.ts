// A local Email Bison: the REST subset this project uses (workspaces, sender emails with Laravel
// pagination, workspace stats, campaigns, interested replies, switch-workspace), page latency and
// injected faults, and a traffic mode that posts realistic webhooks of all 17 types — duplicates
// and out-of-order deliveries included — to a webhook URL at a chosen rate.
//
// Tests and benchmarks start it in-process with startBisonSimulator(); `npm start` runs it as the
// demo instance (see main below).
import { parseArgs } from "node:util";
import { bisonEvent, eventTypes } from "./bison-events.ts";

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

export interface SimulatedWorkspace {
  id: number;
  name: string;
  apiKey: string;
  mailboxes: SimulatedMailbox[];
  interestedReplies?: Record<string, unknown>[];
  stats?: Record<string, string>;
}

export interface Fault {
  /** Which requests: a path prefix such as /api/sender-emails (default: any). */
  path?: string;
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
  pageLatencyMs?: number;
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  page: number | null;
  workspaceId: number | null;
  status: number;
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

export function startBisonSimulator(options: SimulatorOptions) {
  const workspaces = options.workspaces;
  const faults: (Fault & { used: number })[] = [];
  const requests: RecordedRequest[] = [];
  let superAdminWorkspace = workspaces[0]?.id ?? null;
  const pageLatencyMs = options.pageLatencyMs ?? 0;

  function workspaceForKey(key: string | null): SimulatedWorkspace | null | "super" {
    if (!key) return null;
    if (options.superAdminKey && key === options.superAdminKey) return "super";
    return workspaces.find((workspace) => workspace.apiKey === key) ?? null;
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
      });

    const fault = faults.find((f) =>
      (f.times === undefined || f.used < f.times) &&
      (!f.path || url.pathname.startsWith(f.path)) &&
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
    if (pageLatencyMs) await new Promise((resolve) => setTimeout(resolve, pageLatencyMs));

    const ok = (body: unknown) => {
      record(200);
      return Response.json(body);
    };
    const path = url.pathname.replace(/\/+$/, "");
    if (request.method === "GET" && path === "/api/workspaces/v1.1") {
      const visible = owner === "super" ? workspaces : [workspace];
      return ok({
        data: visible.map((w) => ({ id: w.id, name: w.name, main: false, parent_id: null })),
      });
    }
    if (request.method === "POST" && path === "/api/workspaces/v1.1/switch-workspace") {
      if (owner !== "super") {
        record(403);
        return Response.json({ message: "Only a super-admin key can switch" }, { status: 403 });
      }
      const { team_id } = await request.json();
      superAdminWorkspace = Number(team_id);
      return ok({ data: { success: true, message: "Switched" } });
    }
    if (request.method === "GET" && path === "/api/sender-emails") {
      return ok(laravelPage(url, workspace.mailboxes));
    }
    if (request.method === "GET" && path === "/api/replies") {
      const replies = url.searchParams.get("status") === "interested"
        ? workspace.interestedReplies ?? []
        : [];
      return ok(laravelPage(url, replies));
    }
    if (request.method === "GET" && path === "/api/campaigns") {
      return ok(laravelPage(url, [{ id: 2, name: "Campaign 2", status: "active" }]));
    }
    if (request.method === "GET" && path === "/api/workspaces/v1.1/stats") {
      return ok({
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
    record(404);
    return Response.json({ message: "Not Found" }, { status: 404 });
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    handle,
  );

  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    workspaces,
    requests,
    injectFault(fault: Fault) {
      faults.push({ ...fault, used: 0 });
    },
    close: () => server.shutdown(),
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
      "page-latency": { type: "string", default: "0" },
      "webhook-url": { type: "string" },
      rate: { type: "string", default: "2" },
      "key-prefix": { type: "string", default: "demo-workspace-key" },
    },
  });
  const workspaceCount = Number(values.workspaces);
  const perWorkspace = Number(values.mailboxes);
  const simulator = startBisonSimulator({
    port: Number(values.port),
    pageLatencyMs: Number(values["page-latency"]),
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
