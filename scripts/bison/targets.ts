// Monthly targets and sending days from the command line, as an agency admin sets them in the
// dashboard: through the same database functions, so the same checks and the same milestones.
import { parseOptions, positiveInteger, required, say, table, UsageError } from "./cli.ts";
import { type Context, findWorkspace } from "./context.ts";

export const usage = "bison target set --workspace <id> --metric <counter> --target <number> " +
  "[--month YYYY-MM]\n" +
  "       bison target list [--workspace <id>] [--month YYYY-MM] [--json]\n" +
  "       bison target days --workspace <id> --days <mon,tue,...>";

const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** YYYY-MM as the first day of that month, or undefined (the workspace's current month). */
function month(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) {
    throw new UsageError(`--month must look like 2026-12, got "${value}"`, usage);
  }
  return `${value}-01`;
}

export async function target(ctx: Context, args: string[]) {
  const [action, ...rest] = args;
  const { values } = parseOptions(rest, {
    workspace: { type: "string" },
    metric: { type: "string" },
    target: { type: "string" },
    month: { type: "string" },
    days: { type: "string" },
  }, usage);
  const workspace = values.workspace === undefined
    ? undefined
    : await findWorkspace(ctx.sql, positiveInteger(values.workspace, "workspace", usage));

  if (action === "set") {
    if (!workspace) throw new UsageError("--workspace is required", usage);
    const metric = required(values.metric, "metric", usage);
    const value = required(values.target, "target", usage);
    if (!/^\d+(\.\d+)?$/.test(value)) {
      throw new UsageError(`--target must be a number above 0, got "${value}"`, usage);
    }
    // The database checks the metric and the number (22023 is a usage error).
    const [row] = await ctx.sql`
      select workspace_id::int, month::text, metric, target::float8 as target
      from private.set_workspace_target(${workspace.id}, ${metric}, ${value}::numeric,
                                        ${month(values.month) ?? null}::date, null)`;
    say(`Workspace ${row.workspace_id}: ${row.metric} target for ${row.month} is ${row.target}.`);
    return row;
  }

  if (action === "days") {
    if (!workspace) throw new UsageError("--workspace is required", usage);
    const names = required(values.days, "days", usage).toLowerCase().split(",")
      .map((day) => day.trim());
    const unknown = names.filter((day) => !weekdays.includes(day));
    if (unknown.length) {
      throw new UsageError(`--days takes ${weekdays.join(",")}; unknown: ${unknown}`, usage);
    }
    const [row] = await ctx.sql`
      select private.set_workspace_sending_days(${workspace.id},
        ${names.map((day) => weekdays.indexOf(day) + 1)}::integer[]) as days`;
    const days = (row.days as number[]).map((day) => weekdays[day - 1]);
    say(`Workspace ${workspace.id} sends on ${days.join(", ")}.`);
    return { workspace_id: workspace.id, sending_days: days };
  }

  if (action === "list") {
    const rows = await ctx.sql`
      select t.workspace_id::int, w.name as workspace_name, t.month::text, t.metric,
             t.target::float8 as target, p.actual_mtd::int, p.of_target_pct::float8,
             p.pacing_status
      from public.workspace_targets t
      join public.workspaces w on w.id = t.workspace_id
      left join public.workspace_pacing p
        on p.workspace_id = t.workspace_id and p.month = t.month and p.metric = t.metric
      where (${workspace?.id ?? null}::bigint is null or t.workspace_id = ${workspace?.id ?? null})
        and t.month = coalesce(${month(values.month) ?? null}::date,
          (select lm.month_start from private.local_month(t.workspace_id) lm))
      order by t.workspace_id, t.metric`;
    if (values.json) return rows;
    console.log(
      rows.length
        ? table(
          ["workspace", "name", "month", "metric", "target", "so far", "%", "pacing"],
          rows.map((row) => [
            row.workspace_id,
            row.workspace_name,
            row.month,
            row.metric,
            row.target,
            row.actual_mtd,
            row.of_target_pct,
            row.pacing_status,
          ]),
        )
        : "No targets.",
    );
    return undefined;
  }
  throw new UsageError(action ? `unknown target action: ${action}` : "missing action", usage);
}
