import { formatTicks } from "../../format.js";
import type { LineChart, Marker } from "../results.js";
import { escapeXml } from "./escape.js";
import { clampFinite, coord, linearScale, niceAxis } from "./scale.js";
import {
  type ChartSize,
  charWidth,
  legend,
  noData,
  type Plot,
  SMALL_FONT_SIZE,
  seriesStyle,
  shapePath,
  text,
  valueAxis,
  valueAxisWidth,
} from "./svg-parts.js";

const TOP = 34;
const BOTTOM = 46;
const RIGHT = 20;
const MARKER_ROW = 14;
const MARKER_MAX_ROWS = 3;
const MARKER_MAX_CHARS = 24;
// Enough symbols to tell the series apart without hiding a dense line under them.
const MAX_SYMBOLS = 12;

type Point = [number, number];

function finitePoints(points: Point[]): Point[] {
  return points
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    .map(([x, y]) => [clampFinite(x), clampFinite(y)]);
}

function symbolIndexes(count: number): number[] {
  if (count <= MAX_SYMBOLS) return Array.from({ length: count }, (_, i) => i);
  return [...new Set(Array.from({ length: MAX_SYMBOLS }, (_, i) => Math.round((i * (count - 1)) / (MAX_SYMBOLS - 1))))];
}

interface PlacedMarker {
  marker: Marker;
  x: number;
  row: number;
  anchor: "start" | "end";
}

/** Puts each marker label on the first row where it does not overlap an earlier one. */
function placeMarkers(markers: Marker[], x: (value: number) => number, width: number): PlacedMarker[] {
  const rowEnds: number[] = [];
  return markers.map((marker) => {
    const at = x(marker.x);
    const labelWidth = Math.min(Array.from(marker.label).length, MARKER_MAX_CHARS) * charWidth(SMALL_FONT_SIZE) + 6;
    const anchor = at + labelWidth > width ? "end" : "start";
    const [from, to] = anchor === "start" ? [at, at + labelWidth] : [at - labelWidth, at];
    let row = rowEnds.findIndex((end) => end < from);
    if (row === -1) row = rowEnds.length < MARKER_MAX_ROWS ? rowEnds.length : MARKER_MAX_ROWS - 1;
    rowEnds[row] = Math.max(rowEnds[row] ?? Number.NEGATIVE_INFINITY, to);
    return { marker, x: at, row, anchor };
  });
}

function drawMarkers(placed: PlacedMarker[], plot: Plot, bandTop: number): string {
  return placed
    .map(({ marker, x, row, anchor }) => {
      const labelY = bandTop + row * MARKER_ROW + 11;
      const line = `<line x1="${coord(x)}" x2="${coord(x)}" y1="${coord(labelY + 3)}" y2="${coord(plot.bottom)}" stroke="#333" stroke-width="1.5" stroke-dasharray="5 4"/>`;
      const labelX = anchor === "start" ? x + 3 : x - 3;
      const label = text(labelX, labelY, marker.label, MARKER_MAX_CHARS, { size: SMALL_FONT_SIZE, anchor });
      return `<g class="marker">${line}${label}</g>`;
    })
    .join("");
}

function drawSeries(label: string, index: number, points: Point[], x: (v: number) => number, y: (v: number) => number) {
  const { color, dash, shape } = seriesStyle(index);
  const dashAttr = dash ? ` stroke-dasharray="${dash}"` : "";
  const coords = points.map(([px, py]) => `${coord(x(px))},${coord(y(py))}`).join(" ");
  const line =
    points.length > 1
      ? `<polyline points="${coords}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${dashAttr}/>`
      : "";
  const symbols = symbolIndexes(points.length)
    .map((i) => points[i])
    .filter((point): point is Point => point !== undefined)
    .map(([px, py]) => shapePath(shape, x(px), y(py), color, 3.5))
    .join("");
  return `<g class="series"><title>${escapeXml(label)}</title>${line}${symbols}</g>`;
}

/** The inner markup of a line chart and the total height it needs. */
export function lineChartBody(chart: LineChart, size: ChartSize): { body: string; height: number } {
  const { width, plotHeight } = size;
  const series = chart.series.map((s) => ({ label: s.label, points: finitePoints(s.points) }));
  const markers = chart.markers.filter((marker) => Number.isFinite(marker.x));
  const legendBox = legend(
    series.map((s, i) => ({
      label: s.label,
      swatch: (lx, ly) => {
        const { color, dash, shape } = seriesStyle(i);
        const dashAttr = dash ? ` stroke-dasharray="${dash}"` : "";
        return `<line x1="${coord(lx)}" x2="${coord(lx + 24)}" y1="${coord(ly)}" y2="${coord(ly)}" stroke="${color}" stroke-width="2"${dashAttr}/>${shapePath(shape, lx + 12, ly, color, 3.5)}`;
      },
    })),
    12,
    TOP,
    width - 24,
  );
  const bandTop = TOP + legendBox.height + 4;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    const top = bandTop + 8;
    return { body: legendBox.svg + noData(width, top, plotHeight), height: top + plotHeight + BOTTOM };
  }
  const xs = [...all.map(([px]) => px), ...markers.map((m) => clampFinite(m.x))];
  const xAxis = niceAxis(Math.min(...xs), Math.max(...xs));
  const ys = all.map(([, py]) => py);
  const yAxis = niceAxis(Math.min(0, ...ys), Math.max(0, ...ys));
  const yLabels = formatTicks(yAxis.ticks, yAxis.step);
  const left = valueAxisWidth(yLabels);
  const x = linearScale([xAxis.min, xAxis.max], [left, width - RIGHT]);
  // Marker labels sit in a band above the plot, as many rows as their overlaps need.
  const placed = placeMarkers(markers, x, width);
  const rows = placed.length === 0 ? 0 : Math.max(...placed.map((p) => p.row)) + 1;
  const top = bandTop + rows * MARKER_ROW + 8;
  const plot: Plot = { left, top, right: width - RIGHT, bottom: top + plotHeight };
  const y = linearScale([yAxis.min, yAxis.max], [plot.bottom, plot.top]);
  const xLabels = formatTicks(xAxis.ticks, xAxis.step);
  const xTicks = xAxis.ticks
    .map(
      (tick, i) =>
        `<line x1="${coord(x(tick))}" x2="${coord(x(tick))}" y1="${coord(plot.bottom)}" y2="${coord(plot.bottom + 4)}" stroke="#666"/>` +
        text(x(tick), plot.bottom + 16, xLabels[i] ?? "", 12, { size: SMALL_FONT_SIZE, anchor: "middle" }),
    )
    .join("");
  const xTitle = text((plot.left + plot.right) / 2, plot.bottom + 36, chart.xLabel, (plot.right - plot.left) / 7, {
    anchor: "middle",
  });
  const body = [
    legendBox.svg,
    valueAxis(plot, yAxis.ticks, yLabels, y, chart.yLabel),
    `<g class="axis x"><line x1="${coord(plot.left)}" x2="${coord(plot.right)}" y1="${coord(plot.bottom)}" y2="${coord(plot.bottom)}" stroke="#666"/>${xTicks}${xTitle}</g>`,
    drawMarkers(placed, plot, bandTop),
    ...series.map((s, i) => drawSeries(s.label, i, s.points, x, y)),
  ];
  return { body: body.join(""), height: plot.bottom + BOTTOM };
}
