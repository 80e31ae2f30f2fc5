import { formatNumber } from "../../format.js";
import type { BarChart, Chart, LineChart } from "../results.js";
import { slug, truncate } from "./escape.js";
import { barChartBody } from "./svg-bar.js";
import { lineChartBody } from "./svg-line.js";
import { svgDocument } from "./svg-parts.js";

/** Size and id options of {@link renderChart}. */
export interface ChartOptions {
  /** Total width in pixels (default 720). */
  width?: number;
  /** Height of the plotting area in pixels; title, legend and axes are added to it (default 260). */
  plotHeight?: number;
  /** Prefix of the ids inside the SVG; give each chart its own when several are inlined in one page. */
  idPrefix?: string;
}

// The description is read aloud by screen readers: enough to grasp the data, not a dump of it.
const DESC_MAX_SERIES = 8;
const DESC_MAX_VALUES = 12;
const DESC_LABEL_CHARS = 60;

function short(label: string): string {
  return truncate(label, DESC_LABEL_CHARS);
}

function andMore(count: number, shown: number, noun: string): string {
  return count > shown ? ` … and ${count - shown} more ${noun}.` : "";
}

function describeLine(chart: LineChart): string {
  const parts = [`Line chart of ${short(chart.yLabel)} against ${short(chart.xLabel)}.`];
  for (const series of chart.series.slice(0, DESC_MAX_SERIES)) {
    const ys = series.points.map(([, y]) => y).filter(Number.isFinite);
    parts.push(
      ys.length === 0
        ? `${short(series.label)}: no points.`
        : `${short(series.label)}: ${ys.length} points, from ${formatNumber(Math.min(...ys))} to ${formatNumber(Math.max(...ys))}.`,
    );
  }
  parts.push(andMore(chart.series.length, DESC_MAX_SERIES, "series"));
  const markers = chart.markers.slice(0, DESC_MAX_VALUES).map((m) => `${short(m.label)} at ${formatNumber(m.x)}`);
  if (markers.length > 0)
    parts.push(`Markers: ${markers.join("; ")}.${andMore(chart.markers.length, DESC_MAX_VALUES, "markers")}`);
  return parts.filter(Boolean).join(" ");
}

function describeBar(chart: BarChart): string {
  const kind = chart.stacked ? "Stacked" : "Grouped";
  const parts = [`${kind} bar chart of ${short(chart.yLabel)} over ${chart.categories.length} categories.`];
  for (const series of chart.series.slice(0, DESC_MAX_SERIES)) {
    const values = chart.categories
      .slice(0, DESC_MAX_VALUES)
      .map((category, i) => `${short(category)} ${formatNumber(series.values[i] ?? Number.NaN)}`);
    parts.push(`${short(series.label)}: ${values.join(", ")}.${andMore(chart.categories.length, DESC_MAX_VALUES, "")}`);
  }
  parts.push(andMore(chart.series.length, DESC_MAX_SERIES, "series"));
  return parts.filter(Boolean).join(" ");
}

/** A one-paragraph text summary of a chart's data, for `<desc>` and anyone who cannot see the chart. */
export function describeChart(chart: Chart): string {
  const hasData =
    chart.kind === "line"
      ? chart.series.some((s) => s.points.length > 0)
      : chart.series.length > 0 && chart.categories.length > 0;
  const summary = chart.kind === "line" ? describeLine(chart) : describeBar(chart);
  return hasData ? summary : `${summary} No data.`;
}

function checkedSize(options: ChartOptions): { width: number; plotHeight: number } {
  const width = options.width ?? 720;
  const plotHeight = options.plotHeight ?? 260;
  if (!Number.isFinite(width) || width < 240) throw new RangeError(`chart width must be at least 240, got ${width}`);
  if (!Number.isFinite(plotHeight) || plotHeight < 80) {
    throw new RangeError(`chart plotHeight must be at least 80, got ${plotHeight}`);
  }
  return { width, plotHeight };
}

/**
 * Renders a chart as a standalone `<svg>` string (usable as an .svg file or inlined in HTML):
 * accessible name and description, legend, axes with 1-2-5 ticks, no scripts, no external references.
 */
export function renderChart(chart: Chart, options: ChartOptions = {}): string {
  const size = checkedSize(options);
  const rawPrefix = slug(options.idPrefix ?? "chart");
  const id = /^[A-Za-z]/.test(rawPrefix) ? rawPrefix : `c-${rawPrefix}`;
  const rendered = chart.kind === "line" ? { defs: "", ...lineChartBody(chart, size) } : barChartBody(chart, size, id);
  return svgDocument({
    id,
    width: size.width,
    height: rendered.height,
    title: chart.title,
    desc: describeChart(chart),
    defs: rendered.defs,
    body: rendered.body,
  });
}
