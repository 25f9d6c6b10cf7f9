import uPlot from "uplot";
import { el } from "./dom";
import { HOUR_MS } from "./filters";
import { GROUP_LABELS, groupOf, type OutcomeGroup } from "./tiles";
import type { StatsAnswer } from "./types";

/** Bottom to top of each hour's stack. */
const STACK: OutcomeGroup[] = ["issued", "refused", "vendor_error", "error"];
const COLOURS: Record<OutcomeGroup, string> = {
  issued: "#2f855a",
  refused: "#718096",
  vendor_error: "#dd6b20",
  error: "#c53030",
};
const HEIGHT_PX = 220;

let plot: uPlot | undefined;

/**
 * Mints per hour stacked by outcome group. uPlot does not stack, so each series is the
 * running total up to its group, drawn top group first, so that each lower group's bars
 * cover the part of the taller ones below their own top. Dragging across it calls
 * `onRange` with the chosen span in milliseconds.
 */
export function renderChart(
  container: HTMLElement,
  legend: HTMLElement,
  stats: StatsAnswer,
  onRange: (fromMs: number, toMs: number) => void,
): void {
  const start = Math.floor(Date.parse(stats.since) / HOUR_MS) * HOUR_MS;
  const end = Date.parse(stats.until);
  const hours: number[] = [];
  for (let t = start; t < end; t += HOUR_MS) hours.push(t);
  const counts = STACK.map(() => hours.map(() => 0));
  for (const { hour, outcome, count } of stats.hours) {
    const index = hours.indexOf(Date.parse(hour));
    const row = counts[STACK.indexOf(groupOf(outcome))];
    if (index >= 0 && row) row[index] = (row[index] ?? 0) + count;
  }
  const running = counts.map((_, level) =>
    hours.map((_, i) => sum(counts.slice(0, level + 1).map((row) => row[i] ?? 0))),
  );

  const data: uPlot.AlignedData = [hours.map((t) => t / 1000), ...[...running].reverse()];
  const series: uPlot.Series[] = [
    {},
    ...[...STACK].reverse().map((group) => ({
      label: GROUP_LABELS[group],
      stroke: COLOURS[group],
      fill: COLOURS[group],
      paths: uPlot.paths.bars!({ size: [0.8, 40] }),
      points: { show: false },
    })),
  ];
  plot?.destroy();
  plot = new uPlot(
    {
      width: Math.max(container.clientWidth, 320),
      height: HEIGHT_PX,
      series,
      legend: { show: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 1)] } },
      axes: [{}, { label: "requests" }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const from = u.posToVal(u.select.left, "x") * 1000;
            const to = u.posToVal(u.select.left + u.select.width, "x") * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onRange(from, to);
          },
        ],
      },
    },
    data,
    container,
  );
  legend.replaceChildren(
    ...STACK.map((group, level) =>
      el(
        "span",
        { class: "legend-item" },
        el("span", { class: `swatch swatch-${group}`, "aria-hidden": "true" }),
        `${GROUP_LABELS[group]}: ${sum(counts[level] ?? [])}`,
      ),
    ),
  );
}

const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);
