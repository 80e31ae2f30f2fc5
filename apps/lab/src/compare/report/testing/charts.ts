import type { BarChart, LineChart } from "../../results.js";

/** A small line chart with two series and two markers; `overrides` replace whole fields. */
export function sampleLine(overrides: Partial<LineChart> = {}): LineChart {
  return {
    kind: "line",
    title: "p99 latency during a Redis outage",
    xLabel: "seconds since start",
    yLabel: "p99 (ms)",
    series: [
      {
        label: "stateful",
        points: [
          [0, 12],
          [1, 14],
          [2, 900],
          [3, 850],
          [4, 13],
        ],
      },
      {
        label: "stateless",
        points: [
          [0, 8],
          [1, 9],
          [2, 9],
          [3, 8],
          [4, 9],
        ],
      },
    ],
    markers: [
      { x: 1.5, label: "redis killed" },
      { x: 3.5, label: "redis restarted" },
    ],
    ...overrides,
  };
}

/** A grouped bar chart with two series over three categories. */
export function sampleBar(overrides: Partial<BarChart> = {}): BarChart {
  return {
    kind: "bar",
    title: "Requests per instance",
    yLabel: "requests",
    categories: ["round-robin", "sticky-cookie", "source-hash"],
    series: [
      { label: "instance 1", values: [100, 300, 0] },
      { label: "instance 2", values: [110, 0, 250] },
    ],
    stacked: false,
    ...overrides,
  };
}

/** Every `<tag …>` (opening or self-closing) of one kind, with its attributes parsed. */
export function elements(svg: string, tag: string): Array<Record<string, string>> {
  return [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, "g"))].map(([, attrs = ""]) =>
    Object.fromEntries([...attrs.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, k = "", v = ""]) => [k, v])),
  );
}

/** The bars of a rendered bar chart, in drawing order. */
export function barRects(svg: string): Array<{ x: number; y: number; width: number; height: number; fill: string }> {
  const bars = svg.slice(svg.indexOf(`<g class="bars">`));
  return elements(bars.slice(0, bars.indexOf("</g></g>") + 8), "rect").map((r) => ({
    x: Number(r.x),
    y: Number(r.y),
    width: Number(r.width),
    height: Number(r.height),
    fill: r.fill ?? "",
  }));
}

/** A `<text>` element read back: its `<title>` if any, its lines (one per `<tspan>`, or its only line) and their baselines. */
export interface TextBlock {
  x: number;
  title: string | null;
  lines: string[];
  ys: number[];
}

/** Every `<text>` inside the first `<g class="…">` with this class, e.g. "axis x" or "legend". */
export function textBlocks(svg: string, groupClass: string): TextBlock[] {
  const start = svg.indexOf(`<g class="${groupClass}">`);
  if (start === -1) return [];
  const group = svg.slice(start);
  const end = groupClass === "legend" ? group.indexOf("</g></g>") + 8 : group.indexOf("</g>") + 4;
  return [...group.slice(0, end).matchAll(/<text\b([^>]*)>(.*?)<\/text>/g)].map(([, attrs = "", inner = ""]) => {
    const own = Object.fromEntries([...attrs.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, k = "", v = ""]) => [k, v]));
    const title = inner.match(/<title>(.*?)<\/title>/)?.[1] ?? null;
    const body = inner.replace(/<title>.*?<\/title>/, "");
    const spans = [...body.matchAll(/<tspan\b[^>]*\by="([^"]*)"[^>]*>(.*?)<\/tspan>/g)];
    return spans.length === 0
      ? { x: Number(own.x), title, lines: [body], ys: [Number(own.y)] }
      : { x: Number(own.x), title, lines: spans.map(([, , line = ""]) => line), ys: spans.map(([, y]) => Number(y)) };
  });
}

/** The `height` of the outer `<svg>`. */
export function svgHeight(svg: string): number {
  return Number(svg.match(/^<svg\b[^>]*\bheight="([^"]+)"/)?.[1]);
}
