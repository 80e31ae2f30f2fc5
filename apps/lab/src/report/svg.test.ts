import { describe, expect, it } from "vitest";
import { renderChart } from "./svg.js";
import { PALETTE } from "./svg-parts.js";
import { sampleBar as bar, barRects, elements, sampleLine as line } from "./testing/charts.js";
import { xmlProblems } from "./testing/xml.js";

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
