// A time-series chart drawn by uPlot, with the same numbers in a table beneath it (for screen
// readers, and for checking what the chart shows). Days are the read model's local dates.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { count } from "../format.ts";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Series on the right-hand axis (rates next to counts). */
  right?: boolean;
}

const palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777"];
export const seriesColor = (index: number) => palette[index % palette.length];

/** A local date (YYYY-MM-DD) as the UTC midnight uPlot places it at, in seconds. */
const dayToSeconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

export function Chart(
  { days, series, height = 220, title, rightLabel }: {
    days: string[];
    series: ChartSeries[];
    height?: number;
    title: string;
    rightLabel?: string;
  },
) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}|${s.right ? 1 : 0}`).join(",");

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const hasRight = series.some((s) => s.right);
    const made = new uPlot(
      {
        width: Math.max(300, element.clientWidth),
        height,
        // Local dates: shown as dates, never shifted into the browser's time zone.
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
        scales: { x: { time: true } },
        axes: [
          {},
          { size: 60, values: (_, ticks) => ticks.map((tick) => count(tick)) },
          ...(hasRight
            ? [{ side: 1, scale: "right", label: rightLabel, grid: { show: false } }]
            : []),
        ],
        series: [
          { label: "day" },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            scale: s.right ? "right" : "y",
            spanGaps: false,
          })),
        ],
      },
      [days.map(dayToSeconds), ...series.map((s) => s.values)],
      element,
    );
    plot.current = made;
    const resize = new ResizeObserver(() => {
      made.setSize({ width: Math.max(300, element.clientWidth), height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      made.destroy();
      plot.current = null;
    };
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData([days.map(dayToSeconds), ...series.map((s) => s.values)]);
  }, [days, series]);

  return (
    <figure class="chart">
      <div ref={holder} class="chart-canvas" aria-hidden="true" />
      <details class="chart-data">
        <summary>{title}: the numbers</summary>
        <table>
          <thead>
            <tr>
              <th>day</th>
              {series.map((s) => <th key={s.label}>{s.label}</th>)}
            </tr>
          </thead>
          <tbody>
            {days.map((day, row) => (
              <tr key={day} data-day={day}>
                <td>{day}</td>
                {series.map((s) => <td key={s.label}>{s.values[row] ?? "–"}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
