// Small pieces every page uses. Text is always rendered as text (Preact escapes it): names and
// messages from Bison or users never become markup.
import type { ComponentChildren } from "preact";
import { now } from "../clock.ts";
import { connection } from "../live.ts";
import { ageOf, count, decimal, label, percent } from "../format.ts";
import type { Pacing } from "../data/model.ts";
import type { Resource } from "../resource.ts";

export function ConnectionBadge() {
  const state = connection.value;
  const text = state === "live" ? "Live" : state === "offline" ? "Offline" : "Connecting…";
  return (
    <span class={`badge connection ${state}`} data-connection={state} role="status">
      {text}
    </span>
  );
}

/** "Live · 12 s ago": the connection's state and the age of the workspace's last event. */
export function LiveBadge({ lastEventAt }: { lastEventAt: string | null | undefined }) {
  const state = connection.value;
  return (
    <span class={`badge event-age ${state}`} data-live={state}>
      {state === "live" ? "Live" : state === "offline" ? "Offline" : "…"}
      <span class="age" data-last-event={lastEventAt ?? ""}>
        {" · last event "}
        {ageOf(lastEventAt, now.value)}
      </span>
    </span>
  );
}

export function Age({ at }: { at: string | null | undefined }) {
  return <span title={at ?? ""}>{ageOf(at, now.value)}</span>;
}

const statusWords: Record<string, string> = {
  ahead: "ahead",
  on_track: "on track",
  behind: "behind",
  at_risk: "at risk",
};

export function PacingBar({ pacing }: { pacing: Pacing }) {
  const target = Number(pacing.target);
  const filled = Math.min(100, Math.max(0, Number(pacing.of_target_pct ?? 0)));
  const expectedAt = target > 0
    ? Math.min(100, Math.max(0, (Number(pacing.expected_so_far) / target) * 100))
    : 0;
  return (
    <div
      class={`pacing ${pacing.pacing_status}`}
      data-metric={pacing.metric}
      data-status={pacing.pacing_status}
    >
      <div class="pacing-text">
        <span class="metric">{label(pacing.metric)}</span>{" "}
        <strong data-value="actual_mtd">{count(pacing.actual_mtd)}</strong>
        {" / "}
        <span data-value="target">{decimal(pacing.target)}</span>{" "}
        <span class="pct">({percent(pacing.of_target_pct)})</span>{" "}
        <span class={`status ${pacing.pacing_status}`}>
          {statusWords[pacing.pacing_status ?? ""] ?? pacing.pacing_status}
        </span>
      </div>
      <div
        class="bar"
        role="meter"
        aria-valuemin={0}
        aria-valuemax={target}
        aria-valuenow={Number(pacing.actual_mtd)}
        aria-label={`${label(pacing.metric)} month to date against target`}
      >
        <div class="fill" style={{ width: `${filled}%` }} />
        <div
          class="expected"
          style={{ left: `${expectedAt}%` }}
          title={`expected so far: ${count(pacing.expected_so_far)}`}
        />
      </div>
      <div class="pacing-detail">
        pace {percent(pacing.pace_pct)} · expected so far {decimal(pacing.expected_so_far)}{" "}
        · projected {count(pacing.projected_month_end)} · sending days{" "}
        {decimal(pacing.sending_days_elapsed)}
        {" of "}
        {pacing.sending_days_total}
      </div>
    </div>
  );
}

export function Problem({ message }: { message: string | null | undefined }) {
  return message ? <p class="problem" role="alert">{message}</p> : null;
}

/** The resource's error, if any; "Loading…" until it has data; else the children. */
export function Loaded<T>(
  { resource, children }: { resource: Resource<T>; children: (data: T) => ComponentChildren },
) {
  const data = resource.data.value;
  const error = resource.error.value;
  if (data === undefined) {
    return error ? <Problem message={error} /> : <p class="muted">Loading…</p>;
  }
  return (
    <>
      <Problem message={error} />
      {children(data)}
    </>
  );
}

export function Section(
  { title, children, id }: { title: string; children: ComponentChildren; id?: string },
) {
  return (
    <section class="panel" id={id}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}
