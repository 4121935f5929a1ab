// The pipeline's health: every check the user may see, the open alerts (checks not healthy) and,
// for agency admins, the history of alerts and status changes.
import { useEffect, useMemo } from "preact/hooks";
import { joinTopics } from "../live.ts";
import { resource } from "../resource.ts";
import { isAgencyAdmin } from "../session.ts";
import { type AlertChange, type HealthCheck, read } from "../data/model.ts";
import { dateTime, decimal, label } from "../format.ts";
import { Age, Loaded, Section } from "../components/ui.tsx";

function healthReads() {
  return {
    checks: resource(read.healthChecks),
    history: resource(read.alertHistory),
  };
}

export function Health() {
  const reads = useMemo(healthReads, []);
  const admin = isAgencyAdmin.value;
  const refresh = () => {
    void reads.checks.refresh();
    if (admin) void reads.history.refresh();
  };
  useEffect(refresh, [admin]);
  useEffect(
    () =>
      joinTopics(
        // Admins receive the private health topic; members' checks arrive as row changes,
        // filtered by RLS to their workspaces.
        admin
          ? [{ topic: "health", onBroadcast: refresh }]
          : [{ table: "system_health", onChange: refresh }],
        refresh,
      ),
    [admin],
  );

  return (
    <main class="page health">
      <h1>Health</h1>
      <Loaded resource={reads.checks}>
        {(checks) => {
          const open = checks.filter((c) => c.status !== "healthy");
          return (
            <>
              <Section title={`Open alerts (${open.length})`} id="open-alerts">
                {checks.length === 0
                  ? <p class="muted">No checks have run yet.</p>
                  : open.length === 0
                  ? <p class="ok">Every check is healthy.</p>
                  : <Checks checks={open} />}
              </Section>
              <Section title="Checks">
                <Checks checks={checks} />
              </Section>
            </>
          );
        }}
      </Loaded>
      <Section title="Alert history">
        {admin
          ? (
            <Loaded resource={reads.history}>
              {(rows) => <History rows={rows} />}
            </Loaded>
          )
          : <p class="muted">The alert history is for agency admins.</p>}
      </Section>
    </main>
  );
}

function Checks({ checks }: { checks: HealthCheck[] }) {
  if (checks.length === 0) return <p class="muted">No checks have run yet.</p>;
  return (
    <table class="checks">
      <thead>
        <tr>
          <th>Status</th>
          <th>Check</th>
          <th>Scope</th>
          <th>Message</th>
          <th>Value</th>
          <th>Since</th>
          <th>Checked</th>
        </tr>
      </thead>
      <tbody>
        {checks.map((c) => (
          <tr
            key={`${c.check_name}|${c.scope}`}
            class={c.status}
            data-check={c.check_name}
            data-scope={c.scope}
          >
            <td>
              <span class={`status ${c.status}`}>{c.status}</span>
            </td>
            <td>{label(c.check_name)}</td>
            <td>{c.scope}</td>
            <td>{c.message}</td>
            <td>{decimal(c.value)}</td>
            <td>{dateTime(c.changed_at)}</td>
            <td>
              <Age at={c.checked_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function History({ rows }: { rows: AlertChange[] }) {
  if (rows.length === 0) return <p class="muted">No status changes in the last 30 days.</p>;
  return (
    <table class="history">
      <thead>
        <tr>
          <th>When</th>
          <th>Check</th>
          <th>Scope</th>
          <th>Change</th>
          <th>Message</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} data-change={row.id} data-scope={row.scope}>
            <td>{dateTime(row.recorded_at)}</td>
            <td>{label(row.check_name)}</td>
            <td>{row.scope}</td>
            <td>
              {row.previous_status ?? "–"} →{" "}
              <span class={`status ${row.status}`}>{row.status}</span>
            </td>
            <td>{row.message}</td>
            <td>{decimal(row.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
