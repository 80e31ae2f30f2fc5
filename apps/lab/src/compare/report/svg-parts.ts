import { escapeXml, truncate } from "./escape.js";
import { coord } from "./scale.js";
import { textWidth, wrapText } from "./text-fit.js";

/** Total width and plot-area height of a chart, in pixels. */
export interface ChartSize {
  width: number;
  plotHeight: number;
}

/** Pixel box of the plotting area inside the SVG. */
export interface Plot {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export const FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
export const TEXT_COLOR = "#1a1a1a";
export const MUTED_COLOR = "#4d4d4d";
export const FONT_SIZE = 12;
export const SMALL_FONT_SIZE = 11;

/** Rough width of one character in a sans-serif font, used to truncate before text overflows. */
export function charWidth(fontSize: number): number {
  return fontSize * 0.6;
}

/**
 * Colours with at least 3:1 contrast on white (WCAG non-text contrast), drawn from the
 * Okabe-Ito and Tol colour-blind-safe sets; each series also gets its own dash, shape and
 * hatch so the chart still reads in greyscale or for readers who cannot tell the hues apart.
 */
export const PALETTE = ["#0072B2", "#D55E00", "#117733", "#AA4499", "#332288", "#A6611A", "#666666", "#882255"];
const DASHES = ["", "8 4", "2 3", "10 3 2 3", "4 4", "1 5", "12 4 4 4", "6 2 2 2"];
type Shape = "circle" | "square" | "triangle" | "diamond" | "triangle-down" | "plus" | "cross" | "bar";
const SHAPES: Shape[] = ["circle", "square", "triangle", "diamond", "triangle-down", "plus", "cross", "bar"];
const HATCH_ROTATIONS: Array<number | null> = [null, 45, -45, 0, 90, 45, 0, -45];

/** The visual identity of the i-th series: colour, dash pattern and point shape. */
export function seriesStyle(index: number): { color: string; dash: string; shape: Shape } {
  const at = <T>(list: T[]): T => list[index % list.length] as T;
  // Past the palette length, shift the dash so the pair (colour, dash) stays unique for a while.
  const dash = DASHES[(index + Math.floor(index / PALETTE.length)) % DASHES.length] ?? "";
  return { color: at(PALETTE), dash, shape: at(SHAPES) };
}

/** A small point symbol centred on (x, y), filled with `color`. */
export function shapePath(shape: Shape, x: number, y: number, color: string, r = 4): string {
  const c = (value: number) => coord(value);
  const fill = `fill="${color}" stroke="${color}"`;
  switch (shape) {
    case "circle":
      return `<circle cx="${c(x)}" cy="${c(y)}" r="${c(r)}" ${fill}/>`;
    case "square":
      return `<rect x="${c(x - r)}" y="${c(y - r)}" width="${c(2 * r)}" height="${c(2 * r)}" ${fill}/>`;
    case "triangle":
      return `<path d="M${c(x)} ${c(y - r - 1)}L${c(x + r + 1)} ${c(y + r)}L${c(x - r - 1)} ${c(y + r)}Z" ${fill}/>`;
    case "triangle-down":
      return `<path d="M${c(x)} ${c(y + r + 1)}L${c(x + r + 1)} ${c(y - r)}L${c(x - r - 1)} ${c(y - r)}Z" ${fill}/>`;
    case "diamond":
      return `<path d="M${c(x)} ${c(y - r - 1)}L${c(x + r + 1)} ${c(y)}L${c(x)} ${c(y + r + 1)}L${c(x - r - 1)} ${c(y)}Z" ${fill}/>`;
    case "plus":
      return `<path d="M${c(x - r)} ${c(y)}H${c(x + r)}M${c(x)} ${c(y - r)}V${c(y + r)}" stroke="${color}" stroke-width="2.5" fill="none"/>`;
    case "cross":
      return `<path d="M${c(x - r)} ${c(y - r)}L${c(x + r)} ${c(y + r)}M${c(x + r)} ${c(y - r)}L${c(x - r)} ${c(y + r)}" stroke="${color}" stroke-width="2.5" fill="none"/>`;
    case "bar":
      return `<rect x="${c(x - r)}" y="${c(y - 1.5)}" width="${c(2 * r)}" height="3" ${fill}/>`;
  }
}

/** A `<pattern>` filling a bar with the series colour plus a white hatch unique to the series. */
export function hatchPattern(id: string, index: number): string {
  const { color } = seriesStyle(index);
  const rotation = HATCH_ROTATIONS[index % HATCH_ROTATIONS.length] ?? null;
  const doubled = index % HATCH_ROTATIONS.length >= 5;
  const lines = `<path d="M0 0V8" stroke="#fff" stroke-width="2.5"/>${doubled ? `<path d="M0 4H8" stroke="#fff" stroke-width="2"/>` : ""}`;
  return (
    `<pattern id="${id}" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(${rotation ?? 0})">` +
    `<rect width="8" height="8" fill="${color}"/>${rotation === null ? "" : lines}</pattern>`
  );
}

interface TextOptions {
  size?: number;
  anchor?: "start" | "middle" | "end";
  weight?: "bold";
  fill?: string;
  transform?: string;
}

function textAttributes(x: number, y: number, options: TextOptions): string {
  const attrs = [
    `x="${coord(x)}"`,
    `y="${coord(y)}"`,
    `font-size="${options.size ?? FONT_SIZE}"`,
    options.anchor && options.anchor !== "start" ? `text-anchor="${options.anchor}"` : "",
    options.weight ? `font-weight="${options.weight}"` : "",
    `fill="${options.fill ?? TEXT_COLOR}"`,
    options.transform ? `transform="${options.transform}"` : "",
  ];
  return attrs.filter(Boolean).join(" ");
}

/** A `<text>` element; text longer than `maxChars` is cut with an ellipsis and keeps its full form in a `<title>`. */
export function text(x: number, y: number, content: string, maxChars: number, options: TextOptions = {}): string {
  const shown = truncate(content, Math.max(2, Math.floor(maxChars)));
  const title = shown === content ? "" : `<title>${escapeXml(content)}</title>`;
  return `<text ${textAttributes(x, y, options)}>${title}${escapeXml(shown)}</text>`;
}

/**
 * A `<text>` of already wrapped lines, the first on baseline `y` and each next one `lineHeight`
 * below, all at `x` (one `<tspan>` per line; a single line is plain text). `fullText`, given
 * when a line was cut, goes into a `<title>`.
 */
export function textLines(
  x: number,
  y: number,
  lines: string[],
  lineHeight: number,
  fullText: string | null,
  options: TextOptions = {},
): string {
  const title = fullText === null ? "" : `<title>${escapeXml(fullText)}</title>`;
  const content =
    lines.length === 1
      ? escapeXml(lines[0] ?? "")
      : lines
          .map((line, i) => `<tspan x="${coord(x)}" y="${coord(y + i * lineHeight)}">${escapeXml(line)}</tspan>`)
          .join("");
  return `<text ${textAttributes(x, y, options)}>${title}${content}</text>`;
}

export interface LegendItem {
  label: string;
  swatch: (x: number, y: number) => string;
}

const LEGEND_ROW = 18;
const LEGEND_LINE = 15;
const LEGEND_MAX_LINES = 3;
const LEGEND_SWATCH = 30;
const LEGEND_GAP = 18;

/**
 * Lays legend items out left to right, starting a new row when the next item would not fit;
 * a label wider than a whole row wraps onto several lines. Returns the markup and the height used.
 */
export function legend(items: LegendItem[], left: number, top: number, width: number): { svg: string; height: number } {
  if (items.length === 0) return { svg: "", height: 0 };
  const parts: string[] = [];
  let x = left;
  let rowTop = top;
  let rowHeight = LEGEND_ROW;
  for (const item of items) {
    const wrapped = wrapText(item.label, Math.max(1, width - LEGEND_SWATCH), FONT_SIZE, LEGEND_MAX_LINES);
    const labelWidth = Math.max(...wrapped.lines.map((line) => textWidth(line, FONT_SIZE)));
    const itemHeight = LEGEND_ROW + (wrapped.lines.length - 1) * LEGEND_LINE;
    if (x > left && x + LEGEND_SWATCH + labelWidth > left + width) {
      rowTop += rowHeight;
      rowHeight = LEGEND_ROW;
      x = left;
    }
    rowHeight = Math.max(rowHeight, itemHeight);
    const y = rowTop + LEGEND_ROW / 2;
    const label = textLines(x + LEGEND_SWATCH, y + 4, wrapped.lines, LEGEND_LINE, wrapped.cut ? item.label : null);
    parts.push(`<g>${item.swatch(x, y)}${label}</g>`);
    x += LEGEND_SWATCH + labelWidth + LEGEND_GAP;
  }
  return { svg: `<g class="legend">${parts.join("")}</g>`, height: rowTop + rowHeight - top };
}

/** Horizontal grid lines with value labels on the left, and the axis title rotated along the axis. */
export function valueAxis(
  plot: Plot,
  ticks: number[],
  labels: string[],
  y: (value: number) => number,
  title: string,
): string {
  const parts = ticks.map((tick, i) => {
    const at = y(tick);
    const grid = `<line x1="${coord(plot.left)}" x2="${coord(plot.right)}" y1="${coord(at)}" y2="${coord(at)}" stroke="${tick === 0 ? "#666" : "#ddd"}"/>`;
    return grid + text(plot.left - 6, at + 4, labels[i] ?? "", 12, { size: SMALL_FONT_SIZE, anchor: "end" });
  });
  const middle = (plot.top + plot.bottom) / 2;
  const maxChars = (plot.bottom - plot.top) / charWidth(FONT_SIZE);
  parts.push(text(14, middle, title, maxChars, { anchor: "middle", transform: `rotate(-90 14 ${coord(middle)})` }));
  return `<g class="axis y">${parts.join("")}</g>`;
}

/** Width to leave left of the plot for value labels and the rotated axis title. */
export function valueAxisWidth(labels: string[]): number {
  const longest = Math.max(1, ...labels.map((label) => Array.from(label).length));
  return 26 + longest * charWidth(SMALL_FONT_SIZE) + 8;
}

/** The outer `<svg>`: standalone (xmlns), labelled by its own `<title>` and `<desc>`. */
export function svgDocument(doc: {
  id: string;
  width: number;
  height: number;
  title: string;
  desc: string;
  defs?: string;
  body: string;
}): string {
  const { id, width, height } = doc;
  const head =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${coord(width)}" height="${coord(height)}" ` +
    `viewBox="0 0 ${coord(width)} ${coord(height)}" role="img" aria-labelledby="${id}-title ${id}-desc" ` +
    `font-family="${FONT_FAMILY}">`;
  const titles = `<title id="${id}-title">${escapeXml(doc.title)}</title><desc id="${id}-desc">${escapeXml(doc.desc)}</desc>`;
  const defs = doc.defs ? `<defs>${doc.defs}</defs>` : "";
  const background = `<rect width="${coord(width)}" height="${coord(height)}" fill="#fff"/>`;
  const heading = text(12, 22, doc.title, (width - 24) / charWidth(14), { size: 14, weight: "bold" });
  return `${head}${titles}${defs}${background}${heading}${doc.body}</svg>`;
}

/** The message shown instead of axes when a chart has nothing to plot. */
export function noData(width: number, top: number, height: number): string {
  return text(width / 2, top + height / 2, "No data", 20, { anchor: "middle", fill: MUTED_COLOR });
}
