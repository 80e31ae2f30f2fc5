import type { BarChart } from "../results.js";
import { escapeXml } from "./escape.js";
import { formatNumber, formatTicks } from "./format.js";
import { clampFinite, coord, linearScale, niceAxis } from "./scale.js";
import {
  type ChartSize,
  charWidth,
  hatchPattern,
  legend,
  noData,
  type Plot,
  SMALL_FONT_SIZE,
  seriesStyle,
  text,
  valueAxis,
  valueAxisWidth,
} from "./svg-parts.js";

const TOP = 34;
const RIGHT = 20;
const BOTTOM = 30;
// Below this band width a horizontal category label would be unreadably short, so it is slanted.
const SLANT_BELOW = 64;
const SLANT_MAX_CHARS = 16;
const SLANT_BOTTOM = 86;
const SLANT_LEFT = 84;

interface Bar {
  series: number;
  category: number;
  value: number;
  from: number;
  to: number;
}

/** The value at [series][category], or null when missing or not a finite number. */
function valueAt(chart: BarChart, series: number, category: number): number | null {
  const value = chart.series[series]?.values[category];
  return typeof value === "number" && Number.isFinite(value) ? clampFinite(value) : null;
}

/** Where each bar starts and ends on the value axis; stacks grow away from 0 on each side. */
function layoutBars(chart: BarChart): Bar[] {
  const bars: Bar[] = [];
  chart.categories.forEach((_, category) => {
    let positive = 0;
    let negative = 0;
    chart.series.forEach((_, series) => {
      const value = valueAt(chart, series, category);
      if (value === null) return;
      if (!chart.stacked) {
        bars.push({ series, category, value, from: 0, to: value });
      } else if (value >= 0) {
        bars.push({ series, category, value, from: positive, to: clampFinite(positive + value) });
        positive = clampFinite(positive + value);
      } else {
        bars.push({ series, category, value, from: negative, to: clampFinite(negative + value) });
        negative = clampFinite(negative + value);
      }
    });
  });
  return bars;
}

function categoryLabels(chart: BarChart, plot: Plot, band: number, slanted: boolean): string {
  // Even slanted, labels need ~14px each; past that only every n-th is drawn (bar titles still name all).
  const stride = slanted ? Math.max(1, Math.ceil(14 / band)) : 1;
  return chart.categories
    .map((category, i) => {
      if (i % stride !== 0) return "";
      const cx = plot.left + band * (i + 0.5);
      if (!slanted) {
        const maxChars = (band - 4) / charWidth(SMALL_FONT_SIZE);
        return text(cx, plot.bottom + 16, category, maxChars, { size: SMALL_FONT_SIZE, anchor: "middle" });
      }
      const y = plot.bottom + 14;
      const transform = `rotate(-40 ${coord(cx)} ${coord(y)})`;
      return text(cx, y, category, SLANT_MAX_CHARS, { size: SMALL_FONT_SIZE, anchor: "end", transform });
    })
    .join("");
}

/** The inner markup of a grouped or stacked bar chart, its hatch patterns and the total height. */
export function barChartBody(
  chart: BarChart,
  size: ChartSize,
  idPrefix: string,
): { body: string; defs: string; height: number } {
  const { width, plotHeight } = size;
  // The first series is solid; the others carry a hatch so adjacent bars differ beyond hue.
  const fill = (series: number) => (series === 0 ? "" : `url(#${idPrefix}-hatch-${series})`);
  const defs = chart.series.map((_, i) => (i === 0 ? "" : hatchPattern(`${idPrefix}-hatch-${i}`, i))).join("");
  const legendBox = legend(
    chart.series.map((s, i) => ({
      label: s.label,
      swatch: (lx, ly) => barRect(lx, ly - 6, 24, 12, i, fill(i)),
    })),
    12,
    TOP,
    width - 24,
  );
  const top = TOP + legendBox.height + 12;
  const bars = layoutBars(chart);
  if (chart.categories.length === 0 || chart.series.length === 0) {
    return { body: legendBox.svg + noData(width, top, plotHeight), height: top + plotHeight + BOTTOM, defs };
  }
  const ends = bars.flatMap((bar) => [bar.from, bar.to]);
  const axis = niceAxis(Math.min(0, ...ends), Math.max(0, ...ends));
  const labels = formatTicks(axis.ticks, axis.step);
  const axisWidth = valueAxisWidth(labels);
  const slanted = (width - RIGHT - axisWidth) / chart.categories.length < SLANT_BELOW;
  // A slanted first label reaches ~80px left of its bar; keep it inside the SVG.
  const left = slanted ? Math.max(axisWidth, SLANT_LEFT) : axisWidth;
  const band = (width - RIGHT - left) / chart.categories.length;
  const plot: Plot = { left, top, right: width - RIGHT, bottom: top + plotHeight };
  const y = linearScale([axis.min, axis.max], [plot.bottom, plot.top]);
  const groupWidth = band * (chart.stacked ? 0.6 : 0.8);
  const barWidth = chart.stacked ? groupWidth : groupWidth / chart.series.length;
  const rects = bars.map((bar) => {
    const groupLeft = plot.left + band * bar.category + (band - groupWidth) / 2;
    const x = chart.stacked ? groupLeft : groupLeft + barWidth * bar.series;
    const [y0, y1] = [y(bar.from), y(bar.to)];
    const label = `${chart.series[bar.series]?.label ?? ""} — ${chart.categories[bar.category] ?? ""}: ${formatNumber(bar.value)}`;
    return `<g><title>${escapeXml(label)}</title>${barRect(x, Math.min(y0, y1), barWidth, Math.abs(y1 - y0), bar.series, fill(bar.series))}</g>`;
  });
  const baseline = `<line x1="${coord(plot.left)}" x2="${coord(plot.right)}" y1="${coord(y(0))}" y2="${coord(y(0))}" stroke="#333"/>`;
  const body = [
    legendBox.svg,
    valueAxis(plot, axis.ticks, labels, y, chart.yLabel),
    `<g class="bars">${rects.join("")}</g>`,
    baseline,
    `<g class="axis x">${categoryLabels(chart, plot, band, slanted)}</g>`,
  ];
  return { body: body.join(""), defs, height: plot.bottom + (slanted ? SLANT_BOTTOM : BOTTOM) };
}

function barRect(x: number, y: number, width: number, height: number, series: number, pattern: string): string {
  const { color } = seriesStyle(series);
  const paint = pattern || color;
  return `<rect x="${coord(x)}" y="${coord(y)}" width="${coord(Math.max(0, width))}" height="${coord(Math.max(0, height))}" fill="${paint}" stroke="${color}"/>`;
}
