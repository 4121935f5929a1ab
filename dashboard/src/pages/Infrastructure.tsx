// Mailboxes by provider and reseller (connected, disconnected, burnt, capacity) across the
// clients the user may see, and how each provider performed over the last 30 days.
import { useMemo } from "preact/hooks";
import { usePageReads, useWorkspaceTopics } from "../hooks.ts";
import { resource } from "../resource.ts";
import { type ProviderDay, type ProviderMailboxes, read } from "../data/model.ts";
import { count, percent } from "../format.ts";
import { Chart, type ChartSeries, seriesColor } from "../components/Chart.tsx";
import { Loaded, Section } from "../components/ui.tsx";
import { workspaceName } from "./Overview.tsx";

const providerName = (row: { provider: string | null; reseller: string | null }) =>
  `${row.provider ?? "unclassified"} / ${row.reseller ?? "no reseller"}`;

/** The first day of the 30-day window: today's date where the browser is, 29 days back. */
function windowStart(days = 30): string {
  const start = new Date();
  start.setDate(start.getDate() - (days - 1));
  return start.toLocaleDateString("en-CA");
}

function infrastructureReads() {
  return {
    workspaces: resource(read.workspaces),
    mailboxes: resource(read.providerMailboxes),
    history: resource(() => read.providerHistory(windowStart())),
  };
}

export function Infrastructure() {
  const { reads, refreshAll } = usePageReads(infrastructureReads);
  const workspaces = reads.workspaces.data.value;
  // A finished sync is when mailbox counts change.
  useWorkspaceTopics(workspaces, (id) => [{
    topic: `workspace:${id}:sync`,
    onBroadcast: (event: string) => {
      if (event === "sync_completed" || event === "sync_failed") void reads.mailboxes.refresh();
    },
  }], refreshAll);

  return (
    <main class="page infrastructure">
      <h1>Infrastructure</h1>
      <Section title="Mailboxes by provider and reseller">
        <Loaded resource={reads.mailboxes}>
          {(rows) => <ProviderTotals rows={rows} />}
        </Loaded>
      </Section>
      <Section title="Provider performance, last 30 days">
        <Loaded resource={reads.history}>{(days) => <ProviderTrends days={days} />}</Loaded>
      </Section>
      <Section title="Per client">
        <Loaded resource={reads.mailboxes}>
          {(rows) => {
            const names = new Map((workspaces ?? []).map((w) => [w.id, workspaceName(w)]));
            return <PerClient rows={rows} names={names} />;
          }}
        </Loaded>
      </Section>
    </main>
  );
}

/** The counts a provider's row adds up across clients (rates are never added up). */
const summed = ["mailboxes_total", "connected", "disconnected", "burnt", "daily_capacity"] as const;
type Totals =
  & Pick<ProviderMailboxes, "provider" | "reseller">
  & Record<typeof summed[number], number>;

function ProviderTotals({ rows }: { rows: ProviderMailboxes[] }) {
  const totals = new Map<string, Totals>();
  for (const row of rows) {
    const key = providerName(row);
    const sum = totals.get(key) ?? {
      provider: row.provider,
      reseller: row.reseller,
      mailboxes_total: 0,
      connected: 0,
      disconnected: 0,
      burnt: 0,
      daily_capacity: 0,
    };
    for (const field of summed) sum[field] += Number(row[field] ?? 0);
    totals.set(key, sum);
  }
  if (totals.size === 0) return <p class="muted">No mailboxes yet.</p>;
  return (
    <table class="providers">
      <thead>
        <tr>
          <th>Provider / reseller</th>
          <th>Mailboxes</th>
          <th>Connected</th>
          <th>Disconnected</th>
          <th>Burnt</th>
          <th>Capacity per day</th>
        </tr>
      </thead>
      <tbody>
        {[...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, sum]) => (
          <tr key={key} data-provider={sum.provider ?? ""} data-reseller={sum.reseller ?? ""}>
            <td>{key}</td>
            <td data-value="mailboxes_total">{count(sum.mailboxes_total)}</td>
            <td data-value="connected">{count(sum.connected)}</td>
            <td data-value="disconnected">{count(sum.disconnected)}</td>
            <td data-value="burnt">{count(sum.burnt)}</td>
            <td data-value="daily_capacity">{count(sum.daily_capacity)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PerClient({ rows, names }: { rows: ProviderMailboxes[]; names: Map<number, string> }) {
  if (rows.length === 0) return <p class="muted">No mailboxes yet.</p>;
  return (
    <table class="per-client">
      <thead>
        <tr>
          <th>Client</th>
          <th>Provider / reseller</th>
          <th>Mailboxes</th>
          <th>Connected</th>
          <th>Disconnected</th>
          <th>Burnt</th>
          <th>Capacity</th>
          <th>Reply rate (lifetime)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.workspace_id}|${providerName(row)}`}>
            <td>{names.get(row.workspace_id ?? 0) ?? `Workspace #${row.workspace_id}`}</td>
            <td>{providerName(row)}</td>
            <td>{count(row.mailboxes_total)}</td>
            <td>{count(row.connected)}</td>
            <td>{count(row.disconnected)}</td>
            <td>{count(row.burnt)}</td>
            <td>{count(row.daily_capacity)}</td>
            <td>{percent(row.reply_rate_pct)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ProviderTrends({ days }: { days: ProviderDay[] }) {
  const { dayList, lines } = useMemo(() => {
    const dayList = [...new Set(days.map((d) => d.day))].sort();
    const connections = new Set(days.map((d) => d.connection_id));
    const byLine = new Map<string, Map<string, ProviderDay>>();
    for (const row of days) {
      const name = providerName(row) +
        (connections.size > 1 ? ` (${row.connection_id.slice(0, 8)})` : "");
      const line = byLine.get(name) ?? new Map<string, ProviderDay>();
      line.set(row.day, row);
      byLine.set(name, line);
    }
    return { dayList, lines: [...byLine.entries()].sort(([a], [b]) => a.localeCompare(b)) };
  }, [days]);
  if (dayList.length === 0) {
    return <p class="muted">No provider performance yet (computed after each local day ends).</p>;
  }
  const seriesOf = (pick: (row: ProviderDay) => number | null): ChartSeries[] =>
    lines.map(([name, line], index) => ({
      label: name,
      color: seriesColor(index),
      values: dayList.map((day) => {
        const row = line.get(day);
        return row ? pick(row) : null;
      }),
    }));
  return (
    <>
      <h3>Reply rate, 7-day window (%)</h3>
      <Chart
        title="Reply rate"
        days={dayList}
        series={seriesOf((row) =>
          row.reply_rate_7d_pct === null ? null : Number(row.reply_rate_7d_pct)
        )}
      />
      <h3>Emails sent per day</h3>
      <Chart
        title="Emails sent"
        days={dayList}
        series={seriesOf((row) => Number(row.emails_sent_day))}
      />
      <h3>Burnt mailboxes</h3>
      <Chart
        title="Burnt mailboxes"
        days={dayList}
        series={seriesOf((row) => Number(row.burnt_mailboxes))}
      />
    </>
  );
}
