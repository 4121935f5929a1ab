// The time the page shows ages against ("last event 12 s ago"), ticking once a second.
import { signal } from "@preact/signals";

export const now = signal(Date.now());
setInterval(() => now.value = Date.now(), 1000);
