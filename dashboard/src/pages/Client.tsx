// One client (workspace): its numbers for every period, targets and pacing, the last 30 days,
// its campaigns, a live feed of replies and interested leads, insights, mailboxes and sync.
import { useEffect, useMemo, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { joinTopics } from "../live.ts";
import { usePageReads } from "../hooks.ts";
import { resource } from "../resource.ts";
import { isAgencyAdmin } from "../session.ts";
import {
  type Activity,
  generateInsights,
  type Insight,
  type Kpis,
  type Pacing,
  periods,
  read,
  setWorkspaceTarget,
} from "../data/model.ts";
import { count, dateTime, label, percent } from "../format.ts";
import { Chart, seriesColor } from "../components/Chart.tsx";
import { LiveBadge, Loaded, PacingBar, Problem, Section } from "../components/ui.tsx";
import { type SyncProgress, syncProgressFrom, SyncState } from "../components/Sync.tsx";
import { byMetricOrder, MailboxCounts, targetMetricOrder, workspaceName } from "./Overview.tsx";

function clientReads(id: number) {
  return {
    workspace: resource(() => read.workspace(id)),
    kpis: resource(() => read.kpis(periods, id)),
    pacing: resource(() => read.pacing(id)),
    mailboxes: resource(() => read.mailboxHealth(id)),
    pipeline: resource(() => read.pipelineHealth(id)),
    series: resource(() => read.dailySeries(id, 30)),
    campaigns: resource(() => read.campaigns(id)),
    activity: resource(() => read.activity(id)),
    insights: resource(() => read.insights(id)),
    sync: resource(() => read.latestSync(id)),
  };
}

type ClientReads = ReturnType<typeof clientReads>;

export function Client({ workspaceId }: { workspaceId: number }) {
  const { reads, refreshAll } = usePageReads(() => clientReads(workspaceId), workspaceId);
  const progress = useMemo(() => signal<SyncProgress | undefined>(undefined), [workspaceId]);
  const milestone = useMemo(() => signal<string | null>(null), [workspaceId]);

  const workspace = reads.workspace.data.value;
  useEffect(() => {
    if (!workspace) return;
    const topic = (name: string) => `workspace:${workspace.id}:${name}`;
    return joinTopics([
      {
        topic: topic("metrics"),
        onBroadcast: () => {
          for (
            const r of [reads.kpis, reads.pacing, reads.pipeline, reads.series, reads.campaigns]
          ) {
            void r.refresh();
          }
        },
      },
      {
        topic: topic("activity"),
        onBroadcast: (event, payload) => {
          if (event === "activity") addActivity(reads, payload as unknown as Activity);
        },
      },
      {
        topic: topic("sync"),
        onBroadcast: (event, payload) => {
          progress.value = syncProgressFrom(event, payload) ?? undefined;
          if (!progress.value) {
            for (const r of [reads.sync, reads.mailboxes, reads.pipeline]) void r.refresh();
          }
        },
      },
      { topic: topic("insights"), onBroadcast: () => void reads.insights.refresh() },
      {
        topic: topic("milestones"),
        onBroadcast: (event, payload) => {
          if (event !== "milestone") return;
          milestone.value = `${label(String(payload.metric ?? "target"))}: ${
            String(payload.threshold)
          } % of the month's target reached (${count(payload.value as number)} of ${
            count(payload.target as number)
          })`;
          void reads.pacing.refresh();
        },
      },
    ], refreshAll);
  }, [workspace?.id]);

  if (workspace === null) {
    return (
      <main class="page client">
        <h1>Client not found</h1>
        <p>This client does not exist, or you are not a member of it.</p>
      </main>
    );
  }
  if (workspace === undefined) {
    return (
      <main class="page client">
        <Problem message={reads.workspace.error.value} />
        <p class="muted">Loading…</p>
      </main>
    );
  }
  const pipeline = reads.pipeline.data.value?.[0];
  const lastSync = reads.sync.data.value;
  return (
    <main class="page client" data-workspace={workspace.id}>
      <header class="client-header">
        <h1>{workspaceName(workspace)}</h1>
        <LiveBadge lastEventAt={pipeline?.last_event_at} />
        <SyncState
          progress={progress.value ??
            (lastSync && !lastSync.finished_at ? { done: null, total: null } : undefined)}
          running={pipeline?.sync_running ?? false}
          lastCompleteAt={pipeline?.last_complete_sync_at ?? null}
        />
      </header>
      {milestone.value && (
        <p class="milestone" role="status">
          {milestone.value}
          <button type="button" class="link" onClick={() => milestone.value = null}>dismiss</button>
        </p>
      )}
      <Section title="Numbers">
        <Loaded resource={reads.kpis}>{(kpis) => <KpiTable kpis={kpis} />}</Loaded>
      </Section>
      <Section title="Month to date against target" id="targets">
        <Loaded resource={reads.pacing}>
          {(pacing) => <Targets workspaceId={workspace.id} pacing={pacing} reads={reads} />}
        </Loaded>
      </Section>
      <Section title="Last 30 days">
        <Loaded resource={reads.series}>
          {(series) => (
            <Chart
              title="Last 30 days"
              days={series.map((d) => d.day)}
              series={[
                {
                  label: "emails sent",
                  values: series.map((d) => d.emails_sent),
                  color: seriesColor(0),
                },
                {
                  label: "replies",
                  values: series.map((d) => d.replies),
                  color: seriesColor(1),
                  right: true,
                },
                {
                  label: "interested",
                  values: series.map((d) => d.interested),
                  color: seriesColor(2),
                  right: true,
                },
              ]}
              rightLabel="replies, interested"
            />
          )}
        </Loaded>
      </Section>
      <div class="columns">
        <Section title="Live feed: replies and interested leads">
          <Loaded resource={reads.activity}>{(items) => <Feed items={items} />}</Loaded>
        </Section>
        <Section title="Insights">
          <Insights workspaceId={workspace.id} reads={reads} />
        </Section>
      </div>
      <Section title="Campaigns">
        <Loaded resource={reads.campaigns}>
          {(campaigns) =>
            campaigns.length === 0
              ? <p class="muted">No campaigns yet.</p>
              : (
                <table class="campaigns">
                  <thead>
                    <tr>
                      <th>Campaign</th>
                      <th>Sent</th>
                      <th>Replies</th>
                      <th>Interested</th>
                      <th>Reply rate</th>
                      <th>Interested rate</th>
                      <th>Bounce rate</th>
                      <th>Sent, 7 days</th>
                      <th>Last day</th>
                    </tr>
                  </thead>
                  <tbody>
                    {campaigns.map((c) => (
                      <tr key={c.campaign_id} data-campaign={c.campaign_id}>
                        <td>{c.name ?? `Campaign #${c.campaign_id}`}</td>
                        <td data-value="emails_sent">{count(c.emails_sent)}</td>
                        <td data-value="replies">{count(c.replies)}</td>
                        <td data-value="interested">{count(c.interested)}</td>
                        <td>{percent(c.reply_rate_pct)}</td>
                        <td>{percent(c.interested_rate_pct)}</td>
                        <td>{percent(c.bounce_rate_pct)}</td>
                        <td>{count(c.emails_sent_7d)}</td>
                        <td>{c.last_day ?? "–"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
        </Loaded>
      </Section>
      <Section title="Mailboxes">
        <Loaded resource={reads.mailboxes}>
          {(health) => <MailboxCounts health={health[0]} />}
        </Loaded>
        {lastSync?.error && <Problem message={`last sync failed: ${lastSync.error}`} />}
      </Section>
    </main>
  );
}

/** A broadcast activity row goes on top of the feed (once), which keeps its newest 50. */
function addActivity(reads: ClientReads, item: Activity) {
  const current = reads.activity.data.value;
  if (!current || typeof item?.id !== "string") {
    void reads.activity.refresh();
    return;
  }
  if (current.some((existing) => existing.id === item.id)) return;
  reads.activity.data.value = [item, ...current]
    .sort((a, b) => (b.occurred_at ?? "").localeCompare(a.occurred_at ?? ""))
    .slice(0, 50);
}

const periodLabels: Record<string, string> = {
  today: "Today",
  yesterday: "Yesterday",
  last_7_days: "Last 7 days",
  last_30_days: "Last 30 days",
  month_to_date: "Month to date",
};

function KpiTable({ kpis }: { kpis: Kpis[] }) {
  const ordered = periods.map((p) => kpis.find((k) => k.period === p)).filter(Boolean) as Kpis[];
  return (
    <table class="kpis">
      <thead>
        <tr>
          <th>Period</th>
          <th>Sent</th>
          <th>Replies</th>
          <th>Interested</th>
          <th>Bounces</th>
          <th>Reply rate</th>
          <th>Interested rate</th>
          <th>Bounce rate</th>
        </tr>
      </thead>
      <tbody>
        {ordered.map((k) => (
          <tr key={k.period} data-period={k.period}>
            <th title={`${k.period_start} to ${k.period_end_exclusive} (exclusive), ${k.timezone}`}>
              {periodLabels[k.period ?? ""]}
            </th>
            <td data-metric={`${k.period}.emails_sent`}>{count(k.emails_sent)}</td>
            <td data-metric={`${k.period}.replies`}>{count(k.replies)}</td>
            <td data-metric={`${k.period}.interested`}>{count(k.interested)}</td>
            <td data-metric={`${k.period}.bounces`}>{count(k.bounces)}</td>
            <td>{percent(k.reply_rate_pct)}</td>
            <td>{percent(k.interested_rate_pct)}</td>
            <td>{percent(k.bounce_rate_pct)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Targets(
  { workspaceId, pacing, reads }: { workspaceId: number; pacing: Pacing[]; reads: ClientReads },
) {
  const sorted = [...pacing].sort(byMetricOrder);
  return (
    <>
      {sorted.length === 0
        ? <p class="muted">No target for this month.</p>
        : sorted.map((p) => <PacingBar key={p.metric} pacing={p} />)}
      {isAgencyAdmin.value && (
        <TargetForm
          workspaceId={workspaceId}
          pacing={sorted}
          onSaved={() => reads.pacing.refresh()}
        />
      )}
    </>
  );
}

function TargetForm(
  { workspaceId, pacing, onSaved }: {
    workspaceId: number;
    pacing: Pacing[];
    onSaved: () => Promise<void>;
  },
) {
  const [metric, setMetric] = useState(targetMetricOrder[0]);
  const [value, setValue] = useState("");
  const [state, setState] = useState<{ busy: boolean; message: string | null }>({
    busy: false,
    message: null,
  });
  const current = pacing.find((p) => p.metric === metric);
  async function submit(event: Event) {
    event.preventDefault();
    const target = Number(value);
    if (!Number.isFinite(target) || target <= 0) {
      setState({ busy: false, message: "A target is a number above 0." });
      return;
    }
    setState({ busy: true, message: null });
    try {
      await setWorkspaceTarget(workspaceId, metric, target);
      await onSaved();
      setValue("");
      setState({ busy: false, message: `Saved: ${label(metric)} ${count(target)} this month.` });
    } catch (error) {
      setState({ busy: false, message: (error as Error).message });
    }
  }
  return (
    <form class="target-form" onSubmit={submit} aria-label="Set this month's target">
      <label>
        Metric{" "}
        <select
          name="metric"
          value={metric}
          onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}
        >
          {targetMetricOrder.map((m) => <option key={m} value={m}>{label(m)}</option>)}
        </select>
      </label>{" "}
      <label>
        Target this month{" "}
        <input
          name="target"
          type="number"
          min="1"
          step="any"
          required
          placeholder={current ? String(current.target) : ""}
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
      </label>{" "}
      <button type="submit" disabled={state.busy}>{state.busy ? "Saving…" : "Set target"}</button>
      {state.message && <p class="form-message" role="status">{state.message}</p>}
    </form>
  );
}

function Feed({ items }: { items: Activity[] }) {
  if (items.length === 0) return <p class="muted">No replies yet.</p>;
  return (
    <ol class="feed">
      {items.map((item) => (
        <li key={item.id} class={item.kind ?? ""} data-activity={item.id ?? ""}>
          <span class={`kind ${item.kind}`}>
            {item.kind === "interested" ? "Interested" : "Reply"}
          </span>{" "}
          <strong>{item.lead_name || item.lead_email || "a lead"}</strong>
          {item.lead_name && item.lead_email
            ? <span class="muted lead-email">{item.lead_email}</span>
            : null}
          {item.subject ? <div class="subject">{item.subject}</div> : null}
          <div class="muted">
            {item.campaign_name ?? "no campaign"} · {dateTime(item.occurred_at)}
          </div>
        </li>
      ))}
    </ol>
  );
}

function Insights({ workspaceId, reads }: { workspaceId: number; reads: ClientReads }) {
  const [state, setState] = useState<{ busy: boolean; message: string | null }>({
    busy: false,
    message: null,
  });
  async function generate() {
    setState({ busy: true, message: null });
    const outcome = await generateInsights(workspaceId);
    if (outcome.ok) await reads.insights.refresh();
    setState({ busy: false, message: outcome.ok ? null : outcome.message });
  }
  return (
    <>
      <button type="button" onClick={generate} disabled={state.busy} class="generate">
        {state.busy ? "Generating…" : "Generate insights"}
      </button>
      <Problem message={state.message} />
      <Loaded resource={reads.insights}>
        {(insights) => <InsightList insight={insights[0]} />}
      </Loaded>
    </>
  );
}

function InsightList({ insight }: { insight: Insight | undefined }) {
  if (!insight) return <p class="muted">No insights yet.</p>;
  return (
    <div class="insights" data-insight={insight.id}>
      <p class="muted">
        {insight.period_start} to {insight.period_end} (exclusive) · by{" "}
        {insight.source === "claude" ? insight.model ?? "Claude" : "rules"} ·{" "}
        {dateTime(insight.created_at)}
      </p>
      <ul>
        {insight.items.map((item, index) => (
          <li key={index} class={`trend ${item.trend ?? "neutral"}`}>
            <strong>{item.key}</strong> {item.value}
          </li>
        ))}
      </ul>
    </div>
  );
}
