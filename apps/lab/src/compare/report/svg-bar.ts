import { formatNumber, formatTicks } from "../../format.js";
import type { BarChart } from "../results.js";
import { escapeXml, truncate } from "./escape.js";
import { clampFinite, coord, linearScale, niceAxis } from "./scale.js";
import {
  type ChartSize,
  hatchPattern,
  legend,
  noData,
  type Plot,
  SMALL_FONT_SIZE,
  seriesStyle,
  text,
  textLines,
  valueAxis,
  valueAxisWidth,
} from "./svg-parts.js";
import { type Wrapped, wrapText } from "./text-fit.js";

const TOP = 34;
const RIGHT = 20;
// Room below the plot for one line of category labels; each further line adds CATEGORY_LINE.
const BOTTOM = 30;
const CATEGORY_LINE = 13;
const CATEGORY_MAX_LINES = 4;
// Horizontal space kept free between the labels of neighbouring bands.
const CATEGORY_GAP = 6;
// Wrapping into a band narrower than this leaves a character or two per line: slant instead.
const WRAP_MIN_WIDTH = 28;
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

/** How the category labels sit under the bars: wrapped onto lines within each band, or slanted. */
type CategoryLayout =
  | { slanted: false; left: number; band: number; labels: Wrapped[]; lines: number }
  | { slanted: true; left: number; band: number; stride: number };

/**
 * How much of the labels a layout shows: first how many bars a reader can tell apart by
 * their label, then how many characters are left after cutting.
 */
function legibility(shown: string[][]): [distinct: number, chars: number] {
  const chars = shown.reduce((sum, lines) => sum + Array.from(lines.join("").replace(/…/g, "")).length, 0);
  return [new Set(shown.map((lines) => lines.join("\n"))).size, chars];
}

/**
 * Wraps labels into their band, unless the bands are so narrow that slanting shows more of
 * the labels: that can happen only when some words do not fit a band even on a line of their own.
 */
function layoutCategories(categories: string[], width: number, axisWidth: number): CategoryLayout {
  const band = (width - RIGHT - axisWidth) / categories.length;
  const room = band - CATEGORY_GAP;
  const labels =
    room >= WRAP_MIN_WIDTH
      ? categories.map((category) => wrapText(category, room, SMALL_FONT_SIZE, CATEGORY_MAX_LINES))
      : [];
  const lines = Math.max(1, ...labels.map((label) => label.lines.length));
  const wrapped = { slanted: false as const, left: axisWidth, band, labels, lines };
  if (labels.length > 0 && labels.every((label) => !label.cut)) return wrapped;
  // A slanted first label reaches ~80px left of its bar; keep it inside the SVG.
  const left = Math.max(axisWidth, SLANT_LEFT);
  const slantedBand = (width - RIGHT - left) / categories.length;
  // Even slanted, labels need ~14px each; past that only every n-th is drawn (bar titles still name all).
  const stride = Math.max(1, Math.ceil(14 / slantedBand));
  const slanted = { slanted: true as const, left, band: slantedBand, stride };
  if (labels.length === 0) return slanted;
  const [wrappedDistinct, wrappedChars] = legibility(labels.map((label) => label.lines));
  const [slantedDistinct, slantedChars] = legibility(
    categories.filter((_, i) => i % stride === 0).map((category) => [truncate(category, SLANT_MAX_CHARS)]),
  );
  const wrappedWins =
    wrappedDistinct > slantedDistinct || (wrappedDistinct === slantedDistinct && wrappedChars >= slantedChars);
  return wrappedWins ? wrapped : slanted;
}

function categoryLabels(chart: BarChart, plot: Plot, layout: CategoryLayout): string {
  return chart.categories
    .map((category, i) => {
      const cx = plot.left + layout.band * (i + 0.5);
      if (!layout.slanted) {
        const label = layout.labels[i] ?? { lines: [category], cut: false };
        return textLines(cx, plot.bottom + 16, label.lines, CATEGORY_LINE, label.cut ? category : null, {
          size: SMALL_FONT_SIZE,
          anchor: "middle",
        });
      }
      if (i % layout.stride !== 0) return "";
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
  const layout = layoutCategories(chart.categories, width, valueAxisWidth(labels));
  const { left, band } = layout;
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
    `<g class="axis x">${categoryLabels(chart, plot, layout)}</g>`,
  ];
  const bottom = layout.slanted ? SLANT_BOTTOM : BOTTOM + (layout.lines - 1) * CATEGORY_LINE;
  return { body: body.join(""), defs, height: plot.bottom + bottom };
}

function barRect(x: number, y: number, width: number, height: number, series: number, pattern: string): string {
  const { color } = seriesStyle(series);
  const paint = pattern || color;
  return `<rect x="${coord(x)}" y="${coord(y)}" width="${coord(Math.max(0, width))}" height="${coord(Math.max(0, height))}" fill="${paint}" stroke="${color}"/>`;
}
