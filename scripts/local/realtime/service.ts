// The local stand-in for Supabase Realtime at /realtime/v1/websocket: Phoenix channels as
// realtime-js speaks them, private broadcast channels authorised by RLS on realtime.messages,
// broadcasts written to realtime.messages (realtime.send) delivered from the write-ahead log, and
// postgres_changes on the supabase_realtime publication filtered per subscriber. Behaviour,
// messages and error texts follow supabase/realtime; what it does not serve is refused by name.
import postgres from "postgres";
import type { ApiService } from "../gateway.ts";
import type { ApiServiceContext } from "../api-services.ts";
import type { JwtClaims } from "../jwt.ts";
import {
  decodeFrame,
  type Frame,
  FrameWriter,
  type InboundMessage,
  MalformedFrame,
  type UserBroadcast,
  type Vsn,
} from "./protocol.ts";
import { checkToken, type TokenCheck } from "./tokens.ts";
import { type AuthorizationResult, canRead, canWrite } from "./authorization.ts";
import { ChangeFeed, type DecodedChange, type DecodedTransaction } from "./changes.ts";
import {
  dispatchChange,
  parseSubscriptionParams,
  resolveSubscription,
  type Subscription,
  SubscriptionError,
  type TableInfo,
  tableInfo,
} from "./postgres-changes.ts";

export interface RealtimeOptions {
  /** Realtime waits this long before refusing a join (CHANNEL_ERROR_BACKOFF_MS, 5 s). */
  joinErrorDelayMs?: number;
  /** ... and this long before refusing a connection (CONNECT_ERROR_BACKOFF_MS, 2 s). */
  connectErrorDelayMs?: number;
  /** How often the write-ahead log is read while clients are connected. */
  pollMs?: number;
}

export const websocketPath = "/realtime/v1/websocket";
const unsupported = "is not supported by the local Realtime stand-in (scripts/local/realtime)";
// Realtime's limits: the endpoint's max_frame_size, a tenant's default channels per client,
// Phoenix's idle timeout for a socket that sends nothing, the token re-check interval.
const maxFrameBytes = 5_000_000;
const maxChannelsPerClient = 100;
const idleTimeoutMs = 60_000;
const confirmTokenMs = 5 * 60_000;
const partitionMaintenanceMs = 60 * 60_000;

/**
 * The database the stand-in works in as the platform's Realtime does: with a platform role
 * (hosted: its own admin role), never the project's `postgres`. The one place that chooses it.
 */
function realtimeDatabaseUrl(context: ApiServiceContext): string {
  return context.platformDatabaseUrl;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Phoenix's FlexibleBoolean: booleans and their string spellings. */
const flag = (value: unknown) => value === true || value === "true";

/** A stable small id for a postgres_changes binding, as Realtime's :erlang.phash2(params). */
function bindingId(params: Record<string, unknown>): number {
  const text = JSON.stringify(Object.keys(params).sort().map((key) => [key, params[key]]));
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 2 ** 27;
}

interface ChannelBinding {
  id: number;
  raw: Record<string, unknown>;
  subscription?: Subscription;
}

interface Channel {
  connection: Connection;
  topic: string;
  subTopic: string;
  joinRef: string | null;
  private: boolean;
  accessToken: string;
  claims: JwtClaims;
  canWrite: boolean | null;
  self: boolean;
  ack: boolean;
  bindings: ChannelBinding[];
  tokenTimer?: ReturnType<typeof setTimeout>;
  closed: boolean;
}

interface Connection {
  socket: WebSocket;
  writer: FrameWriter;
  apiKey: string;
  headers: Record<string, string>;
  channels: Map<string, Channel>;
  queue: Promise<void>;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export function realtimeService(
  context: ApiServiceContext,
  options: RealtimeOptions = {},
): ApiService {
  const joinErrorDelayMs = options.joinErrorDelayMs ?? 5000;
  const connectErrorDelayMs = options.connectErrorDelayMs ?? 2000;
  const log = (line: string) => context.log(`[realtime] ${line}`);
  const databaseUrl = realtimeDatabaseUrl(context);
  const sql = postgres(databaseUrl, {
    max: 4,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: "realtime-local" },
  });
  // The slot is temporary: it lives exactly as long as this one connection, which is therefore
  // never recycled.
  const feedSql = postgres(databaseUrl, {
    max: 1,
    prepare: false,
    idle_timeout: 0,
    max_lifetime: null,
    onnotice: () => {},
    connection: { application_name: "realtime-local-changes", TimeZone: "UTC" },
  });
  const connections = new Set<Connection>();
  /** Joined channels by `private|public:<sub topic>`, where broadcasts are fanned out. */
  const topics = new Map<string, Set<Channel>>();
  /** postgres_changes subscriptions by `schema.table`. */
  const subscriptions = new Map<string, Set<Subscription>>();
  const tables = new Map<number, TableInfo>();
  let closing = false;

  const feed = new ChangeFeed({
    sql: feedSql,
    onTransaction: deliverTransaction,
    log,
    pollMs: options.pollMs,
    busy: () => connections.size > 0,
  });

  // Hosted keeps realtime.messages partitioned by day; where the stack's platform layer can do
  // the same locally, run its maintenance now and every hour.
  const maintenance = (async () => {
    const [{ exists }] = await sql`
      select pg_catalog.to_regprocedure('realtime_local.maintain_message_partitions()') is not null
        as exists`;
    if (!exists) return null;
    const run = () =>
      sql`select realtime_local.maintain_message_partitions()`.catch((error) =>
        log(`partition maintenance failed: ${error.message}`)
      );
    await run();
    return setInterval(run, partitionMaintenanceMs);
  })().catch((error) => {
    log(`partition maintenance unavailable: ${error.message}`);
    return null;
  });

  const topicKey = (isPrivate: boolean, subTopic: string) =>
    `${isPrivate ? "private" : "public"}|${subTopic}`;

  function send(connection: Connection, frame: Frame | null) {
    if (frame === null || connection.socket.readyState !== WebSocket.OPEN) return;
    try {
      connection.socket.send(frame);
    } catch (error) {
      log(`send failed: ${(error as Error).message}`);
    }
  }

  function reply(
    connection: Connection,
    message: InboundMessage,
    status: "ok" | "error",
    response: unknown,
  ) {
    send(
      connection,
      connection.writer.reply(message.joinRef, message.ref, message.topic, status, response),
    );
  }

  function pushSystem(channel: Channel, extension: string, status: "ok" | "error", text: string) {
    send(
      channel.connection,
      channel.connection.writer.push(channel.joinRef, null, channel.topic, "system", {
        extension,
        status,
        message: text,
        channel: channel.subTopic,
      }),
    );
  }

  /** Forgets a channel (its fan-out, subscriptions and timer). */
  function removeChannel(channel: Channel) {
    if (channel.closed) return;
    channel.closed = true;
    clearTimeout(channel.tokenTimer);
    if (channel.connection.channels.get(channel.topic) === channel) {
      channel.connection.channels.delete(channel.topic);
    }
    topics.get(topicKey(channel.private, channel.subTopic))?.delete(channel);
    for (const binding of channel.bindings) unsubscribe(binding);
  }

  function unsubscribe(binding: ChannelBinding) {
    const subscription = binding.subscription;
    if (!subscription) return;
    for (const table of subscription.tables) {
      subscriptions.get(`${table.schema}.${table.table}`)?.delete(subscription);
    }
    binding.subscription = undefined;
  }

  /** Ends a channel from the server side, as Realtime's shutdown_response does. */
  function shutdown(channel: Channel, text: string) {
    if (channel.closed) return;
    pushSystem(channel, "system", "error", text);
    closeChannel(channel);
  }

  function closeChannel(channel: Channel) {
    removeChannel(channel);
    send(
      channel.connection,
      channel.connection.writer.push(
        channel.joinRef,
        channel.joinRef,
        channel.topic,
        "phx_close",
        {},
      ),
    );
  }

  function scheduleTokenCheck(channel: Channel, exp: number) {
    clearTimeout(channel.tokenTimer);
    const remainingMs = Math.max(0, exp * 1000 - Date.now());
    channel.tokenTimer = setTimeout(async () => {
      try {
        const check = await checkToken(context.checkToken, channel.accessToken);
        if (channel.closed) return;
        if (check.ok) {
          channel.claims = check.claims;
          scheduleTokenCheck(channel, check.exp);
        } else {
          shutdown(channel, check.reason === "signature" ? ":signature_error" : check.message);
        }
      } catch (error) {
        log(`token check failed: ${(error as Error).message}`);
        shutdown(channel, "Realtime was unable to verify the token");
      }
    }, Math.min(confirmTokenMs, remainingMs));
  }

  function joinRefusal(check: Exclude<TokenCheck, { ok: true }>): string {
    switch (check.reason) {
      case "expired":
      case "missing_claims":
        return `InvalidJWTToken: ${check.message}`;
      case "malformed":
        return `MalformedJWT: ${check.message}`;
      case "signature":
        return `JwtSignatureError: ${check.message}`;
      case "signer":
        return `JwtSignerError: ${check.message}`;
    }
  }

  function authorizationRefusal(
    result: Exclude<AuthorizationResult, { ok: true }>,
    subTopic: string,
  ): string {
    switch (result.kind) {
      case "policy_error":
        log(`RlsPolicyError: ${result.error.message}`);
        return `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`;
      case "missing_partition":
        return "MissingPartition: Realtime was unable to find the expected messages partition";
      case "database_unavailable":
        log(`UnableToConnectToProject: ${result.error.message}`);
        return "UnableToConnectToProject: Realtime was unable to connect to the project database";
    }
  }

  async function join(connection: Connection, message: InboundMessage) {
    const refuse = async (reason: string) => {
      await delay(joinErrorDelayMs);
      reply(connection, message, "error", { reason });
    };
    // Phoenix closes an existing channel on the same topic before the new join.
    const existing = connection.channels.get(message.topic);
    if (existing) removeChannel(existing);

    const subTopic = message.topic.slice("realtime:".length);
    if (subTopic === "") return await refuse("TopicNameRequired: You must provide a topic name");
    const params =
      (typeof message.payload === "object" && message.payload !== null
        ? message.payload
        : {}) as Record<string, unknown>;
    const config =
      (typeof params.config === "object" && params.config !== null ? params.config : {}) as Record<
        string,
        unknown
      >;
    const broadcast = (config.broadcast ?? {}) as Record<string, unknown>;
    const presence = (config.presence ?? {}) as Record<string, unknown>;
    if (flag(presence.enabled)) return await refuse(`UnsupportedFeature: Presence ${unsupported}`);
    if (broadcast.replay !== undefined) {
      return await refuse(`UnsupportedFeature: Broadcast replay ${unsupported}`);
    }
    if (connection.channels.size >= maxChannelsPerClient) {
      return await refuse("ChannelRateLimitReached: Too many channels");
    }

    const offered = [params.user_token, params.access_token].find((t) => typeof t === "string");
    const accessToken = typeof offered === "string" && !offered.startsWith("sb_")
      ? offered
      : connection.apiKey;
    const check = await checkToken(context.checkToken, accessToken);
    if (!check.ok) return await refuse(joinRefusal(check));

    try {
      await feed.start();
    } catch (error) {
      log(`UnableToConnectToProject: ${(error as Error).message}`);
      return await refuse(
        "UnableToConnectToProject: Realtime was unable to connect to the project database",
      );
    }

    const isPrivate = flag(config.private);
    if (isPrivate) {
      const read = await canRead(sql, {
        topic: subTopic,
        claims: check.claims,
        headers: connection.headers,
      });
      if (!read.ok) return await refuse(authorizationRefusal(read, subTopic));
      if (!read.allowed) {
        return await refuse(
          `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
        );
      }
    }

    const requested = Array.isArray(config.postgres_changes)
      ? config.postgres_changes.filter((p): p is Record<string, unknown> =>
        typeof p === "object" && p !== null
      )
      : [];
    const channel: Channel = {
      connection,
      topic: message.topic,
      subTopic,
      joinRef: message.joinRef,
      private: isPrivate,
      accessToken,
      claims: check.claims,
      canWrite: null,
      self: flag(broadcast.self),
      ack: flag(broadcast.ack),
      bindings: requested.map((raw) => ({ id: bindingId(raw), raw })),
      closed: false,
    };
    connection.channels.set(message.topic, channel);
    const key = topicKey(isPrivate, subTopic);
    if (!topics.has(key)) topics.set(key, new Set());
    topics.get(key)!.add(channel);
    scheduleTokenCheck(channel, check.exp);
    feed.wake();

    reply(connection, message, "ok", {
      postgres_changes: channel.bindings.map((binding) => ({ ...binding.raw, id: binding.id })),
    });
    if (channel.bindings.length > 0) subscribePostgresChanges(channel);
  }

  /** Realtime subscribes after the join reply and reports the outcome as a system message. */
  function subscribePostgresChanges(channel: Channel) {
    (async () => {
      const resolved: Subscription[] = [];
      for (const binding of channel.bindings) {
        const parsed = parseSubscriptionParams(binding.raw);
        if (!parsed.ok) throw new SubscriptionError(parsed.message);
        const subscriptionTables = await resolveSubscription(sql, parsed.params, channel.claims);
        resolved.push({
          bindingId: binding.id,
          params: parsed.params,
          tables: subscriptionTables,
          claims: channel.claims,
          channel,
        });
      }
      return resolved;
    })().then((resolved) => {
      if (channel.closed) return;
      channel.bindings.forEach((binding, index) => {
        unsubscribe(binding);
        const subscription = resolved[index];
        binding.subscription = subscription;
        for (const table of subscription.tables) {
          tables.set(table.oid, table);
          const key = `${table.schema}.${table.table}`;
          if (!subscriptions.has(key)) subscriptions.set(key, new Set());
          subscriptions.get(key)!.add(subscription);
        }
      });
      pushSystem(channel, "postgres_changes", "ok", "Subscribed to PostgreSQL");
    }).catch((error) => {
      if (channel.closed) return;
      if (!(error instanceof SubscriptionError)) log(`postgres_changes: ${error.message}`);
      pushSystem(channel, "postgres_changes", "error", error.message);
    });
  }

  async function refreshToken(channel: Channel, token: unknown) {
    if (typeof token !== "string" || token.startsWith("sb_") || token === channel.accessToken) {
      return;
    }
    channel.accessToken = token;
    channel.canWrite = null;
    const check = await checkToken(context.checkToken, token);
    if (channel.closed) return;
    if (!check.ok) {
      return shutdown(channel, check.reason === "signature" ? ":signature_error" : check.message);
    }
    if (channel.private) {
      const read = await canRead(sql, {
        topic: channel.subTopic,
        claims: check.claims,
        headers: channel.connection.headers,
      });
      if (channel.closed) return;
      const denied =
        `You do not have permissions to read from this Channel topic: ${channel.subTopic}`;
      if (!read.ok) {
        return shutdown(
          channel,
          read.kind === "policy_error"
            ? denied
            : "Realtime was unable to connect to the project database",
        );
      }
      if (!read.allowed) return shutdown(channel, denied);
    }
    channel.claims = check.claims;
    scheduleTokenCheck(channel, check.exp);
    if (channel.bindings.length > 0) subscribePostgresChanges(channel);
  }

  async function clientBroadcast(channel: Channel, message: InboundMessage) {
    if (channel.private) {
      if (channel.canWrite === null) {
        const write = await canWrite(sql, {
          topic: channel.subTopic,
          claims: channel.claims,
          headers: channel.connection.headers,
        });
        if (!write.ok) {
          log(`broadcast authorization failed: ${write.kind}`);
          return;
        }
        channel.canWrite = write.allowed;
      }
      if (!channel.canWrite) return;
    }
    const recipients = topics.get(topicKey(channel.private, channel.subTopic)) ?? new Set();
    for (const recipient of recipients) {
      if (recipient === channel && !channel.self) continue;
      const writer = recipient.connection.writer;
      send(
        recipient.connection,
        message.userBroadcast
          ? writer.userBroadcast(recipient.topic, { ...message.userBroadcast, metadata: undefined })
          : writer.broadcast(recipient.topic, "broadcast", JSON.stringify(message.payload)),
      );
    }
    if (channel.ack) reply(channel.connection, message, "ok", {});
  }

  async function handleChannelMessage(channel: Channel, message: InboundMessage) {
    switch (message.event) {
      case "phx_leave":
        reply(channel.connection, message, "ok", {});
        closeChannel(channel);
        return;
      case "access_token": {
        const payload = message.payload as Record<string, unknown> | null;
        if (payload && typeof payload === "object" && "access_token" in payload) {
          await refreshToken(channel, payload.access_token);
        }
        return;
      }
      case "broadcast":
        return await clientBroadcast(channel, message);
      case "presence":
        reply(channel.connection, message, "error", {
          reason: `UnsupportedFeature: Presence ${unsupported}`,
        });
        return;
      default:
        // Realtime ignores other events from clients.
        return;
    }
  }

  async function handleMessage(connection: Connection, message: InboundMessage) {
    if (message.topic === "phoenix" && message.event === "heartbeat") {
      return reply(connection, { ...message, joinRef: null }, "ok", {});
    }
    const channel = connection.channels.get(message.topic);
    if (message.event === "phx_join") {
      if (!message.topic.startsWith("realtime:")) {
        return reply(connection, { ...message, joinRef: null }, "error", {
          reason: "unmatched topic",
        });
      }
      return await join(connection, message);
    }
    if (!channel) {
      return reply(connection, { ...message, joinRef: null }, "error", {
        reason: "unmatched topic",
      });
    }
    // A message for an earlier join of this topic raced a close: dropped, as Phoenix does.
    if (message.joinRef !== null && message.joinRef !== channel.joinRef) return;
    await handleChannelMessage(channel, message);
  }

  function resetIdleTimer(connection: Connection) {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      try {
        connection.socket.close(1000, "idle timeout");
      } catch { /* already closing */ }
    }, idleTimeoutMs);
  }

  function accept(request: Request, vsn: Vsn, apiKey: string): Response {
    // Realtime passes the upgrade request's x- headers to policies as request.headers.
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) if (name.startsWith("x-")) headers[name] = value;
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    const connection: Connection = {
      socket,
      writer: new FrameWriter(vsn),
      apiKey,
      headers,
      channels: new Map(),
      queue: Promise.resolve(),
    };
    connections.add(connection);
    socket.onopen = () => resetIdleTimer(connection);
    socket.onmessage = (event) => {
      resetIdleTimer(connection);
      const data = event.data as string | ArrayBuffer;
      const size = typeof data === "string" ? data.length : data.byteLength;
      if (size > maxFrameBytes) {
        socket.close(1009, "frame too large");
        return;
      }
      let message: InboundMessage;
      try {
        message = decodeFrame(vsn, data);
      } catch (error) {
        // Realtime logs a malformed message and keeps the socket.
        if (error instanceof MalformedFrame) log(`MalformedWebSocketMessage: ${error.message}`);
        else log(`UnknownErrorOnWebSocketMessage: ${(error as Error).message}`);
        return;
      }
      connection.queue = connection.queue.then(() => handleMessage(connection, message)).catch(
        (error) => log(`UnknownErrorOnChannel: ${(error as Error).message}`),
      );
    };
    const cleanUp = () => {
      clearTimeout(connection.idleTimer);
      for (const channel of [...connection.channels.values()]) removeChannel(channel);
      connections.delete(connection);
    };
    socket.onclose = cleanUp;
    socket.onerror = () => {};
    return response;
  }

  function negotiateVsn(requested: string | null): Vsn | null {
    const vsn = requested ?? "1.0.0";
    if (/^1\.0\.\d+$/.test(vsn)) return "1.0.0";
    if (/^2\.0\.\d+$/.test(vsn)) return "2.0.0";
    return null;
  }

  async function connect(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response(null, { status: 400 });
    }
    const url = new URL(request.url);
    const vsn = negotiateVsn(url.searchParams.get("vsn"));
    if (!vsn) return new Response(null, { status: 403 });
    const refuse = async (status: number, error: string) => {
      await delay(connectErrorDelayMs);
      return Response.json({ error }, { status });
    };
    const apiKey = request.headers.get("x-api-key") ?? url.searchParams.get("apikey");
    if (apiKey === null || apiKey === "") return await refuse(401, "API key is missing");
    const check = await checkToken(context.checkToken, apiKey);
    if (!check.ok) {
      const messages = {
        expired: "Token has expired",
        missing_claims: check.message,
        malformed: check.message,
        signature: check.message,
        signer: check.message,
      };
      return await refuse(401, messages[check.reason]);
    }
    return accept(request, vsn, apiKey);
  }

  async function deliverTransaction(transaction: DecodedTransaction) {
    for (const change of transaction.changes) {
      if (
        change.schema === "realtime" && change.table.startsWith("messages") &&
        change.action === "INSERT"
      ) {
        deliverDatabaseBroadcast(change);
        continue;
      }
      const interested = subscriptions.get(`${change.schema}.${change.table}`);
      if (!interested || interested.size === 0 || change.action === "TRUNCATE") continue;
      await deliverChange(change, [...interested], transaction.commitTimestamp);
    }
  }

  /** As Realtime's broadcast replication handler: every insert into realtime.messages. */
  function deliverDatabaseBroadcast(change: DecodedChange) {
    const value = (name: string) => change.columns.find((c) => c.name === name)?.value ?? null;
    const [event, topic, id, privateText, insertedAt] = [
      value("event"),
      value("topic"),
      value("id"),
      value("private"),
      value("inserted_at"),
    ];
    const binary = value("binary_payload");
    const json = value("payload");
    if (!event || !topic || !id || privateText === null || !insertedAt) return;
    if (binary === null && json === null) return;
    const message: UserBroadcast = binary !== null
      ? {
        event,
        encoding: "binary",
        payload: Uint8Array.from(
          binary.replace(/^\\x/, "").match(/../g) ?? [],
          (pair) => parseInt(pair, 16),
        ),
        metadata: { id },
      }
      : { event, encoding: "json", payload: new TextEncoder().encode(json!), metadata: { id } };
    const recipients = topics.get(topicKey(privateText === "true", topic));
    for (const channel of recipients ?? []) {
      try {
        send(channel.connection, channel.connection.writer.userBroadcast(channel.topic, message));
      } catch (error) {
        log(`UnableToBroadcastChanges: ${(error as Error).message}`);
      }
    }
  }

  async function deliverChange(
    change: DecodedChange,
    interested: Subscription[],
    commitTimestamp: string,
  ) {
    let table = tables.get(
      interested[0].tables.find((t) => t.schema === change.schema && t.table === change.table)!.oid,
    )!;
    const known = new Set(table.columns.map((c) => c.name));
    if ([...change.columns, ...change.identity].some((c) => !known.has(c.name))) {
      table = await tableInfo(sql, table.oid);
      tables.set(table.oid, table);
    }
    const deliveries = await dispatchChange(sql, { change, table, commitTimestamp }, interested);
    const byChannel = new Map<Channel, { ids: number[]; data: string }>();
    for (const { subscription, data } of deliveries) {
      const channel = subscription.channel as Channel;
      if (channel.closed) continue;
      const entry = byChannel.get(channel) ?? { ids: [], data };
      entry.ids.push(subscription.bindingId);
      byChannel.set(channel, entry);
    }
    for (const [channel, { ids, data }] of byChannel) {
      send(
        channel.connection,
        channel.connection.writer.broadcast(
          channel.topic,
          "postgres_changes",
          `{"ids":${JSON.stringify(ids)},"data":${data}}`,
        ),
      );
    }
  }

  return {
    prefix: "/realtime/v1",
    async handle(request) {
      const path = new URL(request.url).pathname.replace(/\/$/, "");
      if (closing) return Response.json({ error: "Realtime is shutting down" }, { status: 503 });
      if (path === websocketPath) {
        try {
          return await connect(request);
        } catch (error) {
          log(`ErrorConnectingToWebsocket: ${(error as Error).message}`);
          return Response.json({ error: "Error connecting to Realtime" }, { status: 500 });
        }
      }
      if (path.startsWith("/realtime/v1/api/broadcast")) {
        return Response.json({ error: `Broadcast over HTTP (${path}) ${unsupported}` }, {
          status: 501,
        });
      }
      return Response.json({ error: `${path} ${unsupported}; it serves ${websocketPath}` }, {
        status: 404,
      });
    },
    async close() {
      closing = true;
      for (const connection of [...connections]) {
        try {
          connection.socket.close(1001, "server shutting down");
        } catch { /* already closed */ }
        for (const channel of [...connection.channels.values()]) removeChannel(channel);
        clearTimeout(connection.idleTimer);
      }
      connections.clear();
      const timer = await maintenance;
      if (timer !== null) clearInterval(timer);
      await feed.close();
      await Promise.all([sql.end({ timeout: 5 }), feedSql.end({ timeout: 5 })]);
    },
  };
}
