import { describe, expect, it } from "vitest";
import type { Chart } from "../results.js";
import { renderChart } from "./svg.js";
import { sampleBar as bar, barRects, elements, sampleLine as line, textBlocks } from "./testing/charts.js";
import { xmlProblems } from "./testing/xml.js";

const HOSTILE = `<img onerror=x> a|b & "q" 'a'`;

function expectClean(svg: string): void {
  expect(xmlProblems(svg)).toEqual([]);
  expect(svg).not.toMatch(/NaN|Infinity|undefined|null/);
}

describe("renderChart: edge cases stay finite and well-formed", () => {
  const cases: Array<[string, Chart]> = [
    ["a line chart without series", line({ series: [], markers: [] })],
    ["a line chart with empty series", line({ series: [{ label: "a", points: [] }] })],
    ["a single point", line({ series: [{ label: "a", points: [[5, 42]] }], markers: [] })],
    [
      "all-zero values",
      line({
        series: [
          {
            label: "a",
            points: [
              [0, 0],
              [1, 0],
            ],
          },
        ],
        markers: [],
      }),
    ],
    [
      "one x value only",
      line({
        series: [
          {
            label: "a",
            points: [
              [7, 1],
              [7, 2],
            ],
          },
        ],
        markers: [],
      }),
    ],
    [
      "negative values",
      line({
        series: [
          {
            label: "a",
            points: [
              [0, -5],
              [1, -1e6],
            ],
          },
        ],
      }),
    ],
    [
      "huge values",
      line({
        series: [
          {
            label: "a",
            points: [
              [0, -Number.MAX_VALUE],
              [1, Number.MAX_VALUE],
            ],
          },
        ],
      }),
    ],
    [
      "non-finite values",
      line({
        series: [
          {
            label: "a",
            points: [
              [0, Number.NaN],
              [Number.POSITIVE_INFINITY, 1],
              [2, 3],
            ],
          },
        ],
      }),
    ],
    ["a marker alone", line({ series: [], markers: [{ x: 3, label: "fault" }] })],
    ["a bar chart without categories", bar({ categories: [] })],
    ["a bar chart without series", bar({ series: [] })],
    ["all-zero bars", bar({ series: [{ label: "a", values: [0, 0, 0] }], stacked: true })],
    ["missing and non-finite bar values", bar({ series: [{ label: "a", values: [Number.NaN, 5] }] })],
    [
      "huge stacked bars",
      bar({
        series: [
          { label: "a", values: [1e308, 1e308, 1] },
          { label: "b", values: [1e308, 0, 1] },
        ],
        stacked: true,
      }),
    ],
  ];
  it.each(cases)("%s", (_, chart) => {
    const svg = renderChart(chart);
    expectClean(svg);
    expect(svg).toContain("<desc");
  });

  it("says No data when there is nothing to plot", () => {
    expect(renderChart(line({ series: [] }))).toContain(">No data</text>");
    expect(renderChart(bar({ categories: [] }))).toContain(">No data</text>");
  });

  it("draws a single point as a symbol", () => {
    const svg = renderChart(line({ series: [{ label: "a", points: [[5, 42]] }], markers: [] }));
    expect(elements(svg, "polyline")).toHaveLength(0);
    expect(elements(svg, "circle")).toHaveLength(2); // the legend swatch and the point
  });
});

describe("renderChart: text from data", () => {
  it("escapes titles, labels, categories and markers", () => {
    const svg = renderChart(
      line({
        title: HOSTILE,
        xLabel: HOSTILE,
        series: [
          {
            label: HOSTILE,
            points: [
              [0, 1],
              [1, 2],
            ],
          },
        ],
        markers: [{ x: 0.5, label: HOSTILE }],
      }),
    );
    const bars = renderChart(bar({ yLabel: HOSTILE, categories: [HOSTILE, "b"] }));
    for (const out of [svg, bars]) {
      expectClean(out);
      expect(out).not.toContain("<img");
      expect(out).toContain("&lt;img onerror=x&gt; a|b &amp; &quot;q&quot; &#39;a&#39;");
    }
  });

  it("cuts a category label that needs more than four lines with an ellipsis, keeping the full text in a <title>", () => {
    const long = "stateful via proxy with sticky cookies and three instances behind HAProxy";
    const svg = renderChart(bar({ categories: [long, "b", "c", "d", "e", "f", "g", "h"] }));
    expectClean(svg);
    const [label] = textBlocks(svg, "axis x");
    expect(label?.title).toBe(long);
    expect(label?.lines).toHaveLength(4);
    expect(label?.lines.slice(0, 3).join(" ")).toBe(long.slice(0, label?.lines.slice(0, 3).join(" ").length));
    expect(label?.lines[3]).toMatch(/…$/);
  });

  it("slants crowded category labels and thins them out when even slanted they would collide", () => {
    const categories = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const svg = renderChart(bar({ categories, series: [{ label: "a", values: categories.map((_, i) => i) }] }));
    expectClean(svg);
    const labels = elements(svg.slice(svg.indexOf(`<g class="axis x">`)), "text");
    expect(labels.length).toBeGreaterThan(10);
    expect(labels.length).toBeLessThan(60);
    expect(labels.every((label) => label.transform?.startsWith("rotate(-40"))).toBe(true);
    expect(barRects(svg)).toHaveLength(200);
  });

  it("uses the given id prefix so several charts can share a page", () => {
    const a = renderChart(line(), { idPrefix: "s1-chart-1" });
    const b = renderChart(bar(), { idPrefix: "s1 chart/2" });
    const ids = (svg: string) => [...svg.matchAll(/ id="([^"]+)"/g)].map(([, id]) => id);
    expect(ids(a)).toContain("s1-chart-1-title");
    expect(ids(b).every((id) => id?.startsWith("s1-chart-2-"))).toBe(true);
    expect(b).toContain(`url(#s1-chart-2-hatch-1)`);
  });

  it("refuses sizes it cannot lay out", () => {
    expect(() => renderChart(line(), { width: 10 })).toThrow(RangeError);
    expect(() => renderChart(line(), { plotHeight: Number.NaN })).toThrow(RangeError);
  });
});
