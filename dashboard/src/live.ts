// Realtime for the pages: each page joins the private topics of what it shows and refreshes its
// reads when an event arrives. One channel per topic serves every page that listens to it, and
// is left a few seconds after the last one stops, so moving between pages does not rejoin.
// Whether the dashboard is live is the state of those channels: a lost socket errors them
// ("Offline"); realtime-js reconnects and rejoins by itself, and the pages then read again, so
// nothing that happened while offline is missed.
import { computed, signal } from "@preact/signals";
import type { RealtimeChannel } from "@supabase/supabase-js";
import { supabase } from "./session.ts";

export type Payload = Record<string, unknown>;

export interface Subscription {
  /** A private broadcast topic (workspace:<id>:metrics, health, ...). */
  topic?: string;
  /** Called with each broadcast's event name and payload. */
  onBroadcast?(event: string, payload: Payload): void;
  /** postgres_changes on a published table instead (RLS filters the rows per user). */
  table?: string;
  onChange?(): void;
}

type Status = "JOINING" | "SUBSCRIBED" | "TIMED_OUT" | "CLOSED" | "CHANNEL_ERROR";

interface Listener {
  subscription: Subscription;
  joined(afterLoss: boolean): void;
}

interface Entry {
  channel: RealtimeChannel;
  listeners: Set<Listener>;
  status: Status;
  everJoined: boolean;
  lost: boolean;
  leaveTimer?: ReturnType<typeof setTimeout>;
}

const leaveAfterMs = 5_000;
const entries = new Map<string, Entry>();
const statuses = signal<readonly Status[]>([]);
const browserOnline = signal(navigator.onLine);
addEventListener("online", () => browserOnline.value = true);
addEventListener("offline", () => browserOnline.value = false);

/** When the last Realtime event reached this page (epoch ms). */
export const lastEventAt = signal<number | null>(null);

export const connection = computed<"live" | "connecting" | "offline">(() => {
  if (!browserOnline.value) return "offline";
  if (statuses.value.some((status) => status !== "SUBSCRIBED" && status !== "JOINING")) {
    return "offline";
  }
  return statuses.value.includes("JOINING") ? "connecting" : "live";
});

function publishStatuses() {
  statuses.value = [...entries.values()].map((entry) => entry.status);
}

function entryFor(key: string, subscription: Subscription): Entry {
  const existing = entries.get(key);
  if (existing) {
    clearTimeout(existing.leaveTimer);
    return existing;
  }
  const client = supabase();
  const listeners = new Set<Listener>();
  const arrived = () => lastEventAt.value = Date.now();
  const channel = subscription.table
    ? client.channel(key).on(
      "postgres_changes",
      { event: "*", schema: "public", table: subscription.table },
      () => {
        arrived();
        for (const listener of listeners) listener.subscription.onChange?.();
      },
    )
    : client.channel(key, { config: { private: true } }).on(
      "broadcast",
      { event: "*" },
      (message) => {
        arrived();
        const payload = (message.payload ?? {}) as Payload;
        for (const listener of listeners) {
          listener.subscription.onBroadcast?.(String(message.event), payload);
        }
      },
    );
  const entry: Entry = { channel, listeners, status: "JOINING", everJoined: false, lost: false };
  entries.set(key, entry);
  channel.subscribe((status) => {
    entry.status = status as Status;
    publishStatuses();
    if (status !== "SUBSCRIBED") {
      entry.lost = entry.everJoined;
      return;
    }
    const afterLoss = entry.lost;
    entry.everJoined = true;
    entry.lost = false;
    for (const listener of listeners) listener.joined(afterLoss);
  });
  publishStatuses();
  return entry;
}

/**
 * Listens to the subscriptions; `resync` runs once they have all joined (an event sent between
 * the page's first read and the join is not lost) and after every rejoin that follows a lost
 * connection. Returns what stops listening.
 */
export function joinTopics(subscriptions: Subscription[], resync: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const scheduleResync = () => {
    clearTimeout(timer);
    timer = setTimeout(resync, 50);
  };
  const waiting = new Set<string>();
  const attached: { key: string; entry: Entry; listener: Listener }[] = [];
  for (const subscription of subscriptions) {
    const key = subscription.table ? `table:${subscription.table}` : subscription.topic;
    if (!key) throw new Error("a subscription needs a topic or a table");
    const entry = entryFor(key, subscription);
    const listener: Listener = {
      subscription,
      joined(afterLoss) {
        if ((waiting.delete(key) && waiting.size === 0) || afterLoss) scheduleResync();
      },
    };
    if (entry.status !== "SUBSCRIBED") waiting.add(key);
    entry.listeners.add(listener);
    attached.push({ key, entry, listener });
  }
  return () => {
    clearTimeout(timer);
    for (const { key, entry, listener } of attached) {
      entry.listeners.delete(listener);
      if (entry.listeners.size > 0) continue;
      entry.leaveTimer = setTimeout(() => {
        entries.delete(key);
        publishStatuses();
        void supabase().removeChannel(entry.channel);
      }, leaveAfterMs);
    }
  };
}

/** Signing out: every channel goes at once. */
export function leaveAll() {
  for (const entry of entries.values()) clearTimeout(entry.leaveTimer);
  entries.clear();
  publishStatuses();
}
