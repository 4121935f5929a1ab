// What Realtime tests share: a stack API (gateway with the client APIs), users who are or are not
// members of a fresh workspace, and real supabase-js clients signed in with those users' tokens.
import type postgres from "postgres";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import { connectBison, legacyUserToken, startTestApi, testStack, userToken } from "./stack.ts";

export type Api = Awaited<ReturnType<typeof startTestApi>>;

/** A workspace of a new Bison connection whose webhooks reach the given API's gateway. */
export async function newWorkspace(sql: postgres.Sql, api: Api) {
  const { connectionId, webhookUrl } = await connectBison(api.url);
  const [{ id }] = await sql`
    insert into public.workspaces (connection_id, bison_workspace_id, name)
    values (${connectionId}, 1, 'Realtime test workspace') returning id`;
  return { workspaceId: Number(id), webhookUrl, connectionId };
}

/** A new user; a member of the workspace when one is given. Returns its id and a user token. */
export async function newUser(sql: postgres.Sql, memberOf?: number) {
  const [{ id }] = await sql`
    select tests.create_user(${`realtime-${crypto.randomUUID()}@example.test`}) as id`;
  if (memberOf !== undefined) {
    await sql`insert into public.workspace_members (user_id, workspace_id)
              values (${id}, ${memberOf})`;
  }
  return { userId: id as string, token: await userToken(id) };
}

/** A user token that expires in the given number of seconds (negative: already expired). */
export function tokenExpiringIn(userId: string, seconds: number): Promise<string> {
  return legacyUserToken(userId, { exp: Math.floor(Date.now() / 1000) + seconds });
}

/** A token for the user that expired a minute ago. */
export const expiredToken = (userId: string) => tokenExpiringIn(userId, -60);

/**
 * A frontend's client: supabase-js with the stack's anon key, its Realtime authorised by the
 * user's token (what `accessToken` returns is sent on join and on every refresh). It resolves
 * once Realtime holds the token: a join sent before that carries only the anon key.
 */
export async function frontendClient(
  api: Api,
  token: () => string,
  realtime: Record<string, unknown> = {},
): Promise<SupabaseClient> {
  const client = createClient(api.url, testStack().anonKey, {
    accessToken: () => Promise.resolve(token()),
    realtime,
  });
  await client.realtime.setAuth();
  return client;
}

export interface Subscribed {
  status: string;
  error?: Error;
}

/** Subscribes and resolves with the first final status (SUBSCRIBED, CHANNEL_ERROR, ...). */
export function subscribe(channel: RealtimeChannel, timeoutMs = 15_000): Promise<Subscribed> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: "TEST_TIMEOUT" }), timeoutMs);
    channel.subscribe((status, error) => {
      clearTimeout(timer);
      resolve({ status, error });
    });
  });
}

/** Collects what a callback receives, and waits until a condition over it holds. */
export class Inbox<T> {
  items: T[] = [];
  #waiters: (() => void)[] = [];

  push = (item: T) => {
    this.items.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  };

  async until(what: string, done: (items: T[]) => boolean, timeoutMs = 10_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.items)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items;
  }
}

/** Leaves every channel and closes the socket, so a test ends with no timers left. */
/**
 * A new workspace and a member whose dashboard client has joined the workspace's private metrics
 * topic: every `metrics_updated` it receives lands in `inbox`.
 */
export async function memberWatchingMetrics<T>(sql: postgres.Sql, api: Api) {
  const { workspaceId, webhookUrl } = await newWorkspace(sql, api);
  const { token } = await newUser(sql, workspaceId);
  const client = await frontendClient(api, () => token);
  const inbox = new Inbox<T>();
  const channel = client.channel(`workspace:${workspaceId}:metrics`, {
    config: { private: true },
  }).on("broadcast", { event: "metrics_updated" }, (message) => inbox.push(message as T));
  const { status } = await subscribe(channel);
  if (status !== "SUBSCRIBED") throw new Error(`the member's metrics channel is ${status}`);
  return { workspaceId, webhookUrl, client, inbox };
}

export async function closeClient(client: SupabaseClient) {
  await client.removeAllChannels();
  await client.realtime.disconnect();
}

/**
 * Runs flush-broadcasts for `seconds`, as its cron job does every minute: a metric change made
 * within broadcast_interval of its topic's last message reaches subscribers through it.
 */
export async function flushBroadcasts(api: Api, seconds = 3): Promise<{ sent: number }> {
  const response = await fetch(`${api.url}/functions/v1/flush-broadcasts`, {
    method: "POST",
    headers: { "x-cron-secret": testStack().cronSecret, "content-type": "application/json" },
    body: JSON.stringify({ seconds }),
  });
  const answer = await response.text();
  if (response.status !== 200) {
    throw new Error(`flush-broadcasts answered ${response.status}: ${answer}`);
  }
  return JSON.parse(answer);
}
