// How numbers, rates and times read on screen. Rates arrive as percentages from the read model
// (1.25 means 1.25 %); nothing here computes a business number.

const counts = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimals = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const percents = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export function count(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "–";
  const number = Number(value);
  return Number.isFinite(number) ? counts.format(number) : "–";
}

/** A figure that may have a fraction (expected so far, sending days elapsed): one decimal. */
export function decimal(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "–";
  const number = Number(value);
  return Number.isFinite(number) ? decimals.format(number) : "–";
}

export function percent(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "–";
  const number = Number(value);
  return Number.isFinite(number) ? `${percents.format(number)} %` : "–";
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" from two epoch milliseconds. */
export function age(then: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export function ageOf(timestamp: string | null | undefined, now: number): string {
  if (!timestamp) return "never";
  const then = Date.parse(timestamp);
  return Number.isNaN(then) ? "–" : age(then, now);
}

const dateTimes = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
});

export function dateTime(timestamp: string | null | undefined): string {
  if (!timestamp) return "–";
  const then = Date.parse(timestamp);
  return Number.isNaN(then) ? "–" : dateTimes.format(then);
}

/** Words for a machine name: "emails_sent" reads "emails sent". */
export function label(name: string): string {
  return name.replaceAll("_", " ");
}
