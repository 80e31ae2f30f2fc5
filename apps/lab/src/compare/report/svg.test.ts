import { describe, expect, it } from "vitest";
import { renderChart } from "./svg.js";
import { PALETTE } from "./svg-parts.js";
import {
  sampleBar as bar,
  barRects,
  elements,
  sampleLine as line,
  svgHeight,
  type TextBlock,
  textBlocks,
} from "./testing/charts.js";
import { xmlProblems } from "./testing/xml.js";
import { textWidth } from "./text-fit.js";

function expectClean(svg: string): void {
  expect(xmlProblems(svg)).toEqual([]);
  expect(svg).not.toMatch(/NaN|Infinity|undefined|null/);
}

describe("renderChart: line charts", () => {
  const svg = renderChart(line());

  it("is a standalone, well-formed, accessible SVG with a text summary of the data", () => {
    expectClean(svg);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* role="img"/);
    expect(svg).toContain(`<title id="chart-title">p99 latency during a Redis outage</title>`);
    const desc = svg.match(/<desc[^>]*>([^<]*)<\/desc>/)?.[1] ?? "";
    expect(desc).toContain("stateful: 5 points, from 12 to 900");
    expect(desc).toContain("redis killed at 1.5");
  });

  it("draws one polyline per series, distinct by colour and dash, and labels both axes", () => {
    const polylines = elements(svg, "polyline");
    expect(polylines).toHaveLength(2);
    expect(new Set(polylines.map((p) => `${p.stroke}/${p["stroke-dasharray"] ?? ""}`)).size).toBe(2);
    expect(new Set(polylines.map((p) => p["stroke-dasharray"] ?? "")).size).toBe(2);
    for (const label of ["stateful", "stateless", "seconds since start", "p99 (ms)"])
      expect(svg).toContain(`>${label}</text>`);
    // y from 0 to 900 → ticks 0, 200, …, 1000.
    for (const tick of ["0", "200", "400", "600", "800", "1000"]) expect(svg).toContain(`>${tick}</text>`);
  });

  it("draws each marker as a dashed vertical line with its label", () => {
    const markerLines = elements(svg, "line").filter((l) => l["stroke-dasharray"] && l.x1 === l.x2 && l.y1 !== l.y2);
    expect(markerLines).toHaveLength(2);
    expect(svg).toContain(">redis killed</text>");
    expect(svg).toContain(">redis restarted</text>");
  });

  it("keeps every text at 11px or more", () => {
    const sizes = elements(svg, "text").map((t) => Number(t["font-size"]));
    expect(sizes.length).toBeGreaterThan(10);
    for (const size of sizes) expect(size).toBeGreaterThanOrEqual(11);
  });
});

describe("renderChart: bar charts", () => {
  it("places grouped bars side by side from a zero baseline", () => {
    const svg = renderChart(bar());
    expectClean(svg);
    const rects = barRects(svg);
    expect(rects).toHaveLength(6);
    expect(new Set(rects.map((r) => r.x)).size).toBe(6);
    const zeroBars = rects.filter((r) => r.height === 0);
    expect(zeroBars).toHaveLength(2);
    // Every bar rests on the same baseline (value 0), including the zero-height ones.
    expect(new Set(rects.map((r) => r.y + r.height)).size).toBe(1);
    expect(svg).toContain("Grouped bar chart of requests over 3 categories");
  });

  it("stacks series on each other when stacked", () => {
    const svg = renderChart(bar({ stacked: true }));
    expectClean(svg);
    const [a, b] = barRects(svg);
    expect(a && b && a.x === b.x).toBe(true);
    // The second series starts where the first one ends.
    expect(Math.abs((b?.y ?? 0) + (b?.height ?? 0) - (a?.y ?? 1))).toBeLessThan(0.02);
    expect(svg).toContain("Stacked bar chart");
  });

  it("tells series apart by a hatch pattern as well as by colour", () => {
    const svg = renderChart(
      bar({ series: Array.from({ length: 5 }, (_, i) => ({ label: `s${i}`, values: [i + 1] })) }),
    );
    const fills = barRects(svg).map((r) => r.fill);
    expect(new Set(fills).size).toBe(5);
    expect(fills.filter((fill) => fill.startsWith("url(#"))).toHaveLength(4);
    expect(elements(svg, "pattern")).toHaveLength(4);
    expect(new Set(elements(svg, "pattern").map((p) => p.id)).size).toBe(4);
  });

  it("draws negative values below the baseline", () => {
    const svg = renderChart(bar({ series: [{ label: "delta", values: [-50, 20, -5] }] }));
    expectClean(svg);
    expect(svg).toContain(">-60</text>");
  });
});

// The categories of a real baseline run, which used to be cut to "no auth (G…", "stateful (…", "stateless…".
const BASELINE_CATEGORIES = [
  "no auth (GET /healthz), direct",
  "no auth (GET /healthz), proxy",
  "stateful (Redis session), direct",
  "stateful (Redis session), proxy",
  "stateless (denylist), direct",
  "stateless (denylist), proxy",
  "stateless (no revocation), direct",
  "stateless (no revocation), proxy",
];

/** A label's text with its line breaks and spaces removed, to compare with the category it shows. */
const squeezed = (text: string) => text.replace(/\s+/g, "");

/** The left and right ends of each line of a centred label, by the renderer's own width estimate. */
function extents(label: TextBlock): Array<[number, number]> {
  return label.lines.map((line) => {
    const half = textWidth(line, 11) / 2;
    return [label.x - half, label.x + half];
  });
}

describe("renderChart: bar chart category labels", () => {
  const chart = bar({
    categories: BASELINE_CATEGORIES,
    series: [{ label: "rps (median)", values: [1205, 834, 752, 514, 556, 262, 427, 311] }],
  });
  const svg = renderChart(chart);
  const labels = textBlocks(svg, "axis x");

  it("wraps long multi-word labels onto several lines that together hold the whole label, uncut", () => {
    expectClean(svg);
    expect(labels).toHaveLength(8);
    labels.forEach((label, i) => {
      const category = BASELINE_CATEGORIES[i] ?? "";
      expect(label.lines.length, category).toBeGreaterThanOrEqual(2);
      expect(label.lines.length, category).toBeLessThanOrEqual(4);
      expect(squeezed(label.lines.join("")), category).toBe(squeezed(category));
      expect(label.title, category).toBeNull();
    });
    expect(svg.slice(svg.indexOf(`<g class="axis x">`))).not.toContain("…");
    // Every category stays told apart by its label.
    expect(new Set(labels.map((label) => label.lines.join(" "))).size).toBe(8);
  });

  it("keeps every label line inside its own band, clear of its neighbours", () => {
    const centres = labels.map((label) => label.x);
    const band = (centres[1] ?? 0) - (centres[0] ?? 0);
    expect(band).toBeGreaterThan(0);
    labels.forEach((label, i) => {
      for (const [from, to] of extents(label)) {
        expect(from).toBeGreaterThanOrEqual((centres[0] ?? 0) - band / 2 + band * i);
        expect(to).toBeLessThanOrEqual((centres[0] ?? 0) + band / 2 + band * i);
      }
    });
  });

  it("stacks the lines downwards and grows the chart so the lowest one stays inside it", () => {
    const oneLine = renderChart({ ...chart, categories: BASELINE_CATEGORIES.map((_, i) => `v${i}`) });
    const twoLines = renderChart({ ...chart, categories: BASELINE_CATEGORIES.map((_, i) => `variant number${i}`) });
    const lineCount = (out: string) => Math.max(...textBlocks(out, "axis x").map((label) => label.lines.length));
    expect(lineCount(oneLine)).toBe(1);
    expect(lineCount(twoLines)).toBe(2);
    expect(lineCount(svg)).toBeGreaterThan(2);
    const heights = [oneLine, twoLines, svg].map(svgHeight);
    expect(heights[0]).toBeLessThan(heights[1] ?? 0);
    expect(heights[1]).toBeLessThan(heights[2] ?? 0);
    // Bars and axis do not move: only the room below them grows.
    expect(barRects(oneLine)).toEqual(barRects(svg));
    for (const label of labels) {
      expect(label.ys).toEqual([...label.ys].sort((a, b) => a - b));
      expect(new Set(label.ys).size).toBe(label.ys.length);
      expect(Math.max(...label.ys) + 4).toBeLessThanOrEqual(svgHeight(svg));
    }
  });

  it("cuts only a single word too wide for the band, keeping the full label in a <title>", () => {
    const long = "supercalifragilisticexpialidocious proxy";
    const out = renderChart({ ...chart, categories: [long, ...BASELINE_CATEGORIES.slice(1)] });
    expectClean(out);
    const [first, ...rest] = textBlocks(out, "axis x");
    expect(first?.title).toBe(long);
    expect(first?.lines).toHaveLength(2);
    expect(first?.lines[0]).toMatch(/^supercal\w+…$/);
    expect(first?.lines[1]).toBe("proxy");
    for (const label of rest) expect(label.title).toBeNull();
  });

  it("keeps labels horizontal when there is room, and wrapped labels at 11px or more", () => {
    for (const text of elements(svg.slice(svg.indexOf(`<g class="axis x">`)), "text")) {
      expect(text.transform).toBeUndefined();
      expect(Number(text["font-size"])).toBeGreaterThanOrEqual(11);
    }
  });
});

describe("renderChart: legends", () => {
  const labels = [
    "stateful (Redis session, sticky)",
    "stateless (denylist, round-robin)",
    "stateless (no revocation, least-connections)",
    "no auth (GET /healthz), direct",
    "stateful (Redis session), proxy",
    "s6",
    "a rather long series label number seven",
    "eight",
  ];
  const points: Array<[number, number]> = [
    [0, 1],
    [1, 2],
  ];

  it("shows long series labels whole, on as many rows as they need, without overlapping", () => {
    for (const svg of [
      renderChart(line({ series: labels.map((label) => ({ label, points })) })),
      renderChart(bar({ series: labels.map((label) => ({ label, values: [1, 2, 3] })) })),
    ]) {
      expectClean(svg);
      const items = textBlocks(svg, "legend");
      expect(items.map((item) => item.lines.join(" "))).toEqual(labels);
      expect(items.every((item) => item.title === null)).toBe(true);
      const rows = new Set(items.map((item) => item.ys[0]));
      expect(rows.size).toBeGreaterThan(1);
      for (const a of items) {
        for (const b of items) {
          if (a === b || a.ys[0] !== b.ys[0] || a.x > b.x) continue;
          // b's swatch starts 30px left of its label.
          expect(a.x + textWidth(a.lines[0] ?? "", 12)).toBeLessThan(b.x - 30);
        }
        expect(a.x + textWidth(a.lines[0] ?? "", 12)).toBeLessThanOrEqual(720 - 12);
      }
    }
  });

  it("wraps a label wider than the chart onto several lines and starts the plot below them", () => {
    const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(" ");
    const svg = renderChart(
      line({
        series: [
          { label: long, points },
          { label: "short", points },
        ],
      }),
    );
    expectClean(svg);
    const [first, second] = textBlocks(svg, "legend");
    expect(first?.lines.length).toBeGreaterThan(1);
    expect(first?.lines.join(" ")).toBe(long);
    expect(first?.title).toBeNull();
    expect(second?.ys[0]).toBeGreaterThan(Math.max(...(first?.ys ?? [])));
    const axis = svg.slice(svg.indexOf(`<g class="axis y">`));
    const plotTop = Math.min(...elements(axis.slice(0, axis.indexOf("</g>")), "line").map((l) => Number(l.y1)));
    expect(plotTop).toBeGreaterThan(Math.max(...(second?.ys ?? [])) + 4);
  });

  it("cuts a label only past three lines, keeping it whole in a <title>", () => {
    const huge = Array.from({ length: 120 }, (_, i) => `word${i}`).join(" ");
    const svg = renderChart(line({ series: [{ label: huge, points }] }));
    expectClean(svg);
    const [item] = textBlocks(svg, "legend");
    expect(item?.lines).toHaveLength(3);
    expect(item?.lines[2]).toMatch(/…$/);
    expect(item?.title).toBe(huge);
  });
});

describe("palette", () => {
  it("has at least 3:1 contrast against white for every colour (WCAG non-text contrast)", () => {
    const luminance = (hex: string) => {
      const [r = 0, g = 0, b = 0] = [1, 3, 5].map((i) => {
        const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (const colour of PALETTE) expect(1.05 / (luminance(colour) + 0.05)).toBeGreaterThanOrEqual(3);
  });
});
