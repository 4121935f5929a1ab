// The agency overview: every client the user may see, behind-first, with today's numbers, the
// month to date against target, the age of the last event, mailbox health and sync state.
import { useEffect, useMemo } from "preact/hooks";
import { signal } from "@preact/signals";
import type { Payload } from "../live.ts";
import { usePageReads, useWorkspaceTopics } from "../hooks.ts";
import { resource, workspaceRows } from "../resource.ts";
import {
  type Kpis,
  type MailboxHealth,
  type Pacing,
  type PacingStatus,
  type Period,
  type PipelineHealth,
  read,
  type Workspace,
} from "../data/model.ts";
import { count, label } from "../format.ts";
import { href } from "../route.ts";
import { LiveBadge, PacingBar, Problem } from "../components/ui.tsx";
import { type SyncProgress, syncProgressFrom, SyncState } from "../components/Sync.tsx";

/** Interested leads first, then emails sent, then replies: the order agencies are judged in. */
export const targetMetricOrder = ["interested", "emails_sent", "replies"];
const statusRank: Record<PacingStatus, number> = { at_risk: 0, behind: 1, on_track: 2, ahead: 3 };

export interface ClientRow {
  workspace: Workspace;
  today?: Kpis;
  monthToDate?: Kpis;
  pacing: Pacing[];
  mailboxes?: MailboxHealth;
  pipeline?: PipelineHealth;
}

export const workspaceName = (workspace: Pick<Workspace, "id" | "name">) =>
  workspace.name?.trim() || `Workspace #${workspace.id}`;

export function byMetricOrder(a: Pacing, b: Pacing) {
  const rank = (metric: string) => {
    const at = targetMetricOrder.indexOf(metric);
    return at < 0 ? targetMetricOrder.length : at;
  };
  return rank(a.metric) - rank(b.metric) || a.metric.localeCompare(b.metric);
}

/** Behind first: the worst pacing status of the lead target, then the slowest pace. */
export function behindFirst(a: ClientRow, b: ClientRow) {
  const lead = (row: ClientRow) => row.pacing[0];
  const rank = (row: ClientRow) =>
    lead(row) ? statusRank[lead(row).pacing_status as PacingStatus] ?? 4 : 5;
  const pace = (row: ClientRow) => Number(lead(row)?.pace_pct ?? Infinity);
  return rank(a) - rank(b) || pace(a) - pace(b) ||
    workspaceName(a.workspace).localeCompare(workspaceName(b.workspace));
}

const shownPeriods: Period[] = ["today", "month_to_date"];

function overviewReads() {
  return {
    workspaces: resource(read.workspaces),
    kpis: workspaceRows(() => read.kpis(shownPeriods), (id) => read.kpis(shownPeriods, id)),
    pacing: workspaceRows(() => read.pacing(), read.pacing),
    pipeline: workspaceRows(() => read.pipelineHealth(), read.pipelineHealth),
  };
}

export function Overview() {
  const { reads, refreshAll: refreshClients } = usePageReads(overviewReads);
  // Mailbox health is the slowest read and the least urgent: it starts once the clients' numbers
  // are on screen, so it does not compete with them for the database.
  const mailboxes = useMemo(
    () => workspaceRows(() => read.mailboxHealth(), read.mailboxHealth),
    [],
  );
  const refreshAll = () => {
    refreshClients();
    void mailboxes.refresh();
  };
  const syncs = useMemo(() => signal<ReadonlyMap<number, SyncProgress>>(new Map()), []);
  const workspaces = reads.workspaces.data.value;
  const onSync = (id: number) => (event: string, payload: Payload) => {
    const next = new Map(syncs.value);
    const progress = syncProgressFrom(event, payload);
    if (progress) next.set(id, progress);
    else next.delete(id);
    syncs.value = next;
    if (!progress) {
      void mailboxes.refreshWorkspace(id);
      void reads.pipeline.refreshWorkspace(id);
    }
  };
  // The clients with their numbers show once those reads have answered (a read that failed leaves
  // its columns empty and says why above the table); mailbox health fills its column after.
  const clientReads = Object.values(reads);
  const settled = clientReads.every((r) => r.data.value !== undefined || r.error.value !== null);
  const loaded = clientReads.every((r) => r.data.value !== undefined);
  const complete = loaded && mailboxes.data.value !== undefined;
  const errors = [...clientReads, mailboxes].map((r) => r.error.value).filter(Boolean);
  useEffect(() => {
    if (settled) void mailboxes.refresh();
  }, [settled]);
  useEffect(() => {
    if (complete) performance.mark("overview-complete");
  }, [complete]);

  // Joined once the first reads have answered: the joins do not compete with the first paint, and
  // the read that follows the joins catches up with anything sent meanwhile.
  useWorkspaceTopics(settled ? workspaces : undefined, (id) => [
    {
      topic: `workspace:${id}:metrics`,
      onBroadcast: () => {
        void reads.kpis.refreshWorkspace(id);
        void reads.pacing.refreshWorkspace(id);
        void reads.pipeline.refreshWorkspace(id);
      },
    },
    { topic: `workspace:${id}:sync`, onBroadcast: onSync(id) },
  ], refreshAll);

  const clientRows = useMemo<ClientRow[]>(() => {
    if (!settled || !workspaces) return [];
    const kpis = reads.kpis.data.value ?? [];
    const pacing = reads.pacing.data.value ?? [];
    return workspaces.map((workspace) => ({
      workspace,
      today: kpis.find((k) => k.workspace_id === workspace.id && k.period === "today"),
      monthToDate: kpis.find((k) =>
        k.workspace_id === workspace.id && k.period === "month_to_date"
      ),
      pacing: pacing.filter((p) => p.workspace_id === workspace.id).sort(byMetricOrder),
      mailboxes: mailboxes.data.value?.find((m) => m.workspace_id === workspace.id),
      pipeline: reads.pipeline.data.value?.find((p) => p.workspace_id === workspace.id),
    })).sort(behindFirst);
  }, [
    settled,
    workspaces,
    reads.kpis.data.value,
    reads.pacing.data.value,
    mailboxes.data.value,
    reads.pipeline.data.value,
  ]);

  const behind =
    clientRows.filter((row) =>
      row.pacing[0] && ["behind", "at_risk"].includes(row.pacing[0].pacing_status ?? "")
    ).length;

  return (
    <main class="page overview">
      <h1>Agency overview</h1>
      {errors.map((message) => <Problem key={message} message={message} />)}
      {!settled || !workspaces ? <p class="muted">Loading…</p> : (
        <>
          <p
            class="summary"
            elementtiming="overview"
            data-ready={loaded ? "true" : undefined}
            data-complete={complete ? "true" : undefined}
          >
            {clientRows.length} {clientRows.length === 1 ? "client" : "clients"}
            {behind ? `, ${behind} behind target` : ""}
          </p>
          {clientRows.length === 0
            ? <p class="muted">No clients yet: you are not a member of any workspace.</p>
            : (
              <ClientTable
                rows={clientRows}
                syncs={syncs.value}
                mailboxes={mailboxes.data.value !== undefined
                  ? "ready"
                  : mailboxes.error.value
                  ? "failed"
                  : "loading"}
              />
            )}
        </>
      )}
    </main>
  );
}

function ClientTable(
  { rows, syncs, mailboxes }: {
    rows: ClientRow[];
    syncs: ReadonlyMap<number, SyncProgress>;
    mailboxes: "loading" | "failed" | "ready";
  },
) {
  return (
    <table class="clients">
      <thead>
        <tr>
          <th>Client</th>
          <th>Today</th>
          <th>Month to date vs target</th>
          <th>Events</th>
          <th>Mailboxes</th>
          <th>Sync</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.workspace.id} data-workspace={row.workspace.id}>
            <td class="client">
              <a href={href.client(row.workspace.id)}>{workspaceName(row.workspace)}</a>
            </td>
            <td class="today">
              <Counts kpis={row.today} period="today" />
            </td>
            <td class="mtd">
              {row.pacing.length
                ? row.pacing.map((p) => <PacingBar key={p.metric} pacing={p} />)
                : (
                  <>
                    <Counts kpis={row.monthToDate} period="month_to_date" />
                    <div class="muted">no target this month</div>
                  </>
                )}
            </td>
            <td class="events">
              <LiveBadge lastEventAt={row.pipeline?.last_event_at} />
              {row.pipeline && (
                <div class={`webhook ${row.pipeline.webhook_status}`}>
                  webhooks {row.pipeline.webhook_status} · {count(row.pipeline.events_24h)} in 24 h
                  {row.pipeline.open_alerts ? ` · ${row.pipeline.open_alerts} open alerts` : ""}
                </div>
              )}
            </td>
            <td class="mailboxes">
              {mailboxes === "ready"
                ? <MailboxCounts health={row.mailboxes} />
                : <span class="muted">{mailboxes === "failed" ? "–" : "…"}</span>}
            </td>
            <td class="sync">
              <SyncState
                progress={syncs.get(row.workspace.id)}
                running={row.pipeline?.sync_running ?? false}
                lastCompleteAt={row.pipeline?.last_complete_sync_at ?? null}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const shownCounts = ["emails_sent", "replies", "interested"] as const;

export function Counts({ kpis, period }: { kpis: Kpis | undefined; period: string }) {
  if (!kpis) return <span class="muted">–</span>;
  return (
    <dl class="counts">
      {shownCounts.map((metric) => (
        <div key={metric}>
          <dt>{label(metric)}</dt>
          <dd data-metric={`${period}.${metric}`}>{count(kpis[metric])}</dd>
        </div>
      ))}
    </dl>
  );
}

export function MailboxCounts({ health }: { health: MailboxHealth | undefined }) {
  if (!health) return <span class="muted">no mailboxes</span>;
  return (
    <div class="mailbox-counts">
      <span data-value="connected">{count(health.connected)}</span>/
      <span data-value="mailboxes_total">{count(health.mailboxes_total)}</span> connected
      {Number(health.disconnected) > 0 && (
        <span class="warn" data-value="disconnected">
          {" · "}
          {count(health.disconnected)} disconnected
        </span>
      )}
      {Number(health.burnt) > 0 && (
        <span class="bad" data-value="burnt">
          {" · "}
          {count(health.burnt)} burnt
        </span>
      )}
      <div class="muted">capacity {count(health.daily_capacity)}/day</div>
    </div>
  );
}
