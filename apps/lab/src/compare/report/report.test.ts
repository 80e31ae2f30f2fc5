import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BarChart, Chart, LineChart, Results } from "../results.js";
import { chartFileNames, renderHtml, renderMarkdown, writeReport } from "./index.js";
import { xmlProblems } from "./testing/xml.js";

const HOSTILE = "<img onerror=x>";

/** A run as the lab would write it: one line chart with markers, grouped and stacked bars, a failure, an error. */
function sampleResults(): Results {
  const latency: LineChart = {
    kind: "line",
    title: "p99 latency while Redis is down",
    xLabel: "seconds since start",
    yLabel: "p99 (ms)",
    series: [
      {
        label: "stateful via proxy",
        points: [
          [0, 11],
          [5, 12.5],
          [10, 930],
          [15, 14],
        ],
      },
      {
        label: "stateless via proxy",
        points: [
          [0, 7],
          [5, 7.25],
          [10, 7.5],
          [15, 7],
        ],
      },
    ],
    markers: [
      { x: 4, label: "redis stopped" },
      { x: 12, label: "redis started" },
    ],
  };
  const perStrategy: BarChart = {
    kind: "bar",
    title: "Requests that found their session",
    yLabel: "requests",
    categories: ["round-robin", "sticky-cookie", "source-hash"],
    series: [
      { label: "stateful", values: [980, 1000, 1000] },
      { label: "stateless", values: [1000, 1000, 1000] },
    ],
    stacked: false,
  };
  const shares: BarChart = {
    kind: "bar",
    title: "Share of requests per instance",
    yLabel: "share (%)",
    categories: ["round-robin", "least-connections"],
    series: [
      { label: "app-1", values: [33.4, 50] },
      { label: "app-2", values: [33.3, 30] },
      { label: "app-3", values: [33.3, 20] },
    ],
    stacked: true,
  };
  const scenario = {
    startedAt: "2025-06-01T10:00:00.000Z",
    durationMs: 61_500,
    data: { raw: [1, 2, 3] },
  };
  return {
    version: 1,
    startedAt: "2025-06-01T10:00:00.000Z",
    finishedAt: "2025-06-01T10:03:05.000Z",
    durationMs: 185_000,
    environment: {
      cpus: 8,
      cpuModel: "AMD EPYC 7B13",
      memoryGiB: 31.25,
      os: "Linux 6.1.0-18-amd64",
      node: "v20.19.0",
      postgres: "16.3",
      redis: "7.2.4",
      commit: "3f2c1ab",
      quick: true,
    },
    scenarios: [
      {
        ...scenario,
        id: "redis-outage",
        title: "Redis outage",
        question: "What happens to logged-in users when the session store goes away?",
        tables: [
          {
            caption: "Latency by variant (ms)",
            columns: ["variant", "p50", "p99", "errors"],
            rows: [
              ["stateful via proxy", 12.34567, 930, 412],
              ["stateless via proxy", 2.5, 7.5, 0],
              [`${HOSTILE} a|b`, null, 1234567, 0.000123456],
            ],
          },
        ],
        charts: [latency],
        reading: ["Stateful requests failed for 8 s while Redis was down.", "Stateless requests never noticed."],
        invariants: [
          { name: "stateless unaffected", holds: true, detail: "0 failures out of 1000" },
          { name: "stateful recovers within 5 s", holds: false, detail: "recovered after 8.2 s" },
        ],
        outcomes: {
          "stateful via proxy": { ok: 588, fail: 412, unknown: 3 },
          "stateless via proxy": { ok: 1000, fail: 0, unknown: 0 },
        },
      },
      {
        ...scenario,
        id: "balancing",
        title: "Load-balancing strategies",
        question: "Which proxy strategies does each architecture need?",
        tables: [
          {
            caption: "Session hits",
            columns: ["strategy", "stateful", "stateless"],
            rows: [["round-robin", 980, 1000]],
          },
        ],
        charts: [perStrategy, shares],
        reading: ["Only sticky strategies keep stateful chat partners."],
        invariants: [{ name: "stateless works with every strategy", holds: true, detail: "3/3 strategies" }],
        outcomes: { stateful: { ok: 2980, fail: 20, unknown: 0 } },
      },
      {
        ...scenario,
        id: "revocation",
        title: "Logout and revocation",
        question: "How long does a logged-out token keep working?",
        tables: [{ caption: "Partial", columns: ["step", "ms"], rows: [["logout", 12]] }],
        charts: [],
        reading: [],
        invariants: [],
        outcomes: {},
        error: `Postgres refused the connection ${HOSTILE}`,
      },
    ],
  };
}

/** How each table cell of the fixture must read, except the hostile one that the escaping tests cover. */
const SHOWN_CELLS = [
  ["stateful via proxy", "12.346", "930", "412"],
  ["stateless via proxy", "2.5", "7.5", "0"],
  ["—", "1234567", "0.000123"],
  ["round-robin", "980", "1000"],
  ["logout", "12"],
].flat();

/** Splits markdown table lines on the pipes that are not escaped. */
function mdTableCells(line: string): string[] {
  return line.split(/(?<!\\)\|/).slice(1, -1);
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("renderMarkdown", () => {
  const results = sampleResults();
  const files = new Map<Chart, string>(
    results.scenarios.flatMap((s) => s.charts).map((chart, i) => [chart, `given-${i}.svg`] as const),
  );
  const md = renderMarkdown(results, { chartFiles: files });

  it("shows the environment, a summary row per scenario and every title and table cell", () => {
    for (const text of ["AMD EPYC 7B13", "31.25 GiB", "v20.19.0", "16.3", "7.2.4", "3f2c1ab", "quick", "3 min 05 s"]) {
      expect(md).toContain(text);
    }
    expect(md).toMatch(/\| redis-outage \| Redis outage \| 1\/2 \| 1 min 02 s \| ❌[^|]*\|/);
    expect(md).toMatch(/\| balancing \| Load-balancing strategies \| 1\/1 \| [^|]+ \| ✅[^|]*\|/);
    expect(md).toMatch(/\| revocation \| Logout and revocation \| 0\/0 \| [^|]+ \| ⚠️ error \|/);
    for (const scenario of results.scenarios)
      expect(md).toContain(`## ${results.scenarios.indexOf(scenario) + 1}. ${scenario.title}`);
    for (const text of SHOWN_CELLS) expect(md).toContain(`| ${text} |`);
    expect(md).not.toContain("1,234,567");
  });

  it("links exactly the chart files it was given, in order", () => {
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]*)\)/g)].map(([, target]) => target);
    expect(links).toEqual(["charts/given-0.svg", "charts/given-1.svg", "charts/given-2.svg"]);
  });

  it("notes a chart it has no file for instead of linking a guess", () => {
    const partial = new Map([...files].slice(0, 1));
    const out = renderMarkdown(results, { chartFiles: partial });
    expect([...out.matchAll(/!\[/g)]).toHaveLength(1);
    expect(out).toContain("_Chart not rendered: Requests that found their session_");
  });

  it("escapes HTML and pipes so every row keeps its column count", () => {
    expect(md).not.toContain(HOSTILE);
    expect(md).toContain("&lt;img onerror=x&gt; a\\|b");
    const tables = md.split("\n\n").filter((block) => block.startsWith("|"));
    // environment, summary, three data tables, two outcome tables
    expect(tables).toHaveLength(7);
    for (const table of tables) {
      const widths = table
        .trimEnd()
        .split("\n")
        .map((line) => mdTableCells(line).length);
      expect(new Set(widths).size, table).toBe(1);
    }
  });

  it("lists invariants as a checklist, outcomes as a table and the error prominently", () => {
    expect(md).toContain("- ✅ stateless unaffected — 0 failures out of 1000");
    expect(md).toMatch(/^- ❌.*stateful recovers within 5 s — recovered after 8\.2 s$/m);
    expect(md).toContain("| stateful via proxy | 588 | 412 | 3 |");
    expect(md).toMatch(/^> \*\*⚠️ ERROR[^\n]*Postgres refused the connection &lt;img onerror=x&gt;$/m);
  });

  it("keeps the scenario order and, inside one, question → error → tables → charts → reading → invariants → outcomes", () => {
    const positions = results.scenarios.map((s) => md.indexOf(`. ${s.title}`));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const first = md.slice(md.indexOf("## 1."), md.indexOf("## 2."));
    const order = [
      "**Question:**",
      "**Latency by variant (ms)**",
      "![",
      "### Reading",
      "### Invariants",
      "### Outcomes",
    ];
    const at = order.map((marker) => first.indexOf(marker));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    const third = md.slice(md.indexOf("## 3."));
    expect(third.indexOf("ERROR")).toBeLessThan(third.indexOf("**Partial**"));
  });
});

describe("renderHtml", () => {
  const results = sampleResults();
  const html = renderHtml(results);

  it("is one HTML5 document in English with a charset and a title", () => {
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain(`<meta charset="utf-8">`);
    expect(html).toMatch(/<title>statelab report[^<]*<\/title>/);
    expect(html.trimEnd()).toMatch(/<\/html>$/);
  });

  it("loads nothing from anywhere: no external src/href, no script, no stylesheet link, no web font", () => {
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:|\/\/)/i);
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|@font-face|url\((?!#)/i);
  });

  it("shows every scenario title and table cell, with a contents list whose links all resolve", () => {
    for (const scenario of results.scenarios) expect(html).toContain(scenario.title);
    for (const text of SHOWN_CELLS) expect(html).toMatch(new RegExp(`<td[^>]*>${text}</td>`));
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length);
    const targets = [...html.matchAll(/href="#([^"]+)"/g)].map(([, id]) => id);
    expect(targets.length).toBeGreaterThanOrEqual(2 + results.scenarios.length);
    for (const target of targets) expect(ids).toContain(target);
    const nav = html.slice(html.indexOf("<nav"), html.indexOf("</nav>"));
    for (const scenario of results.scenarios) expect(nav).toContain(scenario.title);
  });

  it("gives scenarios that share an id distinct anchors and chart ids", () => {
    const twice = sampleResults();
    for (const scenario of twice.scenarios) scenario.id = "same id";
    const out = renderHtml(twice);
    const ids = [...out.matchAll(/ id="([^"]+)"/g)].map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(["scenario-same-id", "scenario-same-id-2", "scenario-same-id-3"]));
  });

  it("inlines every chart as a well-formed SVG", () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(3);
    for (const svg of svgs) expect(xmlProblems(svg)).toEqual([]);
  });

  it("escapes text from the data", () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain("&lt;img onerror=x&gt; a|b");
    expect(html).toContain("Postgres refused the connection &lt;img onerror=x&gt;");
  });

  it("marks failed invariants and scenario errors with words, not only colour", () => {
    expect(html).toMatch(
      /<li class="fail"><span class="mark"><span [^>]*>✗<\/span> FAILED<\/span> stateful recovers within 5 s/,
    );
    expect(html).toMatch(
      /<div class="error" role="alert"><strong><span [^>]*>!<\/span> ERROR[^<]*<\/strong> Postgres refused/,
    );
    expect(html).toMatch(/<span class="status failed"><span [^>]*>✗<\/span> invariant failed<\/span>/);
  });

  it("draws its status marks with glyphs common fonts have, not emoji that show as empty boxes", () => {
    const shown = (pattern: RegExp) =>
      [...html.matchAll(pattern)].map(([, inner = ""]) => inner.replace(/<[^>]+>/g, ""));
    // The contents list (failed, error) comes first, then the summary rows (failed, ok, error).
    expect(shown(/<span class="status [a-z]+">(<span[^>]*>[^<]*<\/span>[^<]*)<\/span>/g)).toEqual([
      "✗ invariant failed",
      "! error",
      "✗ invariant failed",
      "✓ ok",
      "! error",
    ]);
    expect(shown(/<span class="mark">(<span[^>]*>[^<]*<\/span>[^<]*)<\/span>/g)).toEqual([
      "✓ held",
      "✗ FAILED",
      "✓ held",
    ]);
    expect(new Set(shown(/<span class="icon[^"]*"[^>]*>([^<]*)<\/span>/g))).toEqual(new Set(["✓", "✗", "!"]));
    // Neither emoji (✅ ❌) nor a text symbol turned emoji by U+FE0F (⚠️), anywhere on the page.
    expect(html).not.toMatch(/\p{Extended_Pictographic}|\p{Emoji_Presentation}|\uFE0F/u);
  });

  it("follows the markdown's order", () => {
    const md = renderMarkdown(results, { chartFiles: chartFileNames(results) });
    const markers = ["Environment", "Summary", ...results.scenarios.map((s) => s.title), "Invariants", "Outcomes"];
    const inMd = markers.map((m) => md.indexOf(m, md.indexOf("## Environment")));
    const inHtml = markers.map((m) => html.indexOf(m, html.indexOf(`<h2 id="environment">`)));
    expect(inHtml.map((i) => inHtml.filter((j) => j < i).length)).toEqual(
      inMd.map((i) => inMd.filter((j) => j < i).length),
    );
  });
});

describe("writeReport", () => {
  it("writes results.json, one SVG per chart, report.md and report.html into a new directory", async () => {
    const root = mkdtempSync(join(tmpdir(), "statelab-report-"));
    tempDirs.push(root);
    const dir = join(root, "nested", "run");
    const results = sampleResults();
    const written = await writeReport(dir, results);

    expect(written.json).toBe(join(dir, "results.json"));
    const json = readFileSync(written.json, "utf8");
    expect(json.startsWith('{\n  "version": 1,')).toBe(true);
    expect(JSON.parse(json)).toEqual(results);

    expect(readdirSync(join(dir, "charts")).sort()).toEqual([
      "balancing-1.svg",
      "balancing-2.svg",
      "redis-outage-1.svg",
    ]);
    expect(written.charts.map((path) => path.slice(dir.length + 1)).sort()).toEqual([
      "charts/balancing-1.svg",
      "charts/balancing-2.svg",
      "charts/redis-outage-1.svg",
    ]);
    for (const path of written.charts) expect(xmlProblems(readFileSync(path, "utf8"))).toEqual([]);

    const md = readFileSync(written.markdown, "utf8");
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]*)\)/g)].map(([, target]) => target);
    expect(links).toEqual(["charts/redis-outage-1.svg", "charts/balancing-1.svg", "charts/balancing-2.svg"]);
    expect(readFileSync(written.html, "utf8")).toBe(renderHtml(results));

    // The chart sheet: every chart once, each under its scenario's title, nothing external.
    const sheet = readFileSync(written.chartSheet, "utf8");
    expect(sheet.match(/<svg /g)).toHaveLength(written.charts.length);
    for (const scenario of results.scenarios) {
      if (scenario.charts.length > 0) expect(sheet).toContain(`<figcaption>${scenario.title}`);
    }
    expect(sheet).not.toMatch(/\s(src|href)=["']https?:/);
    expect(xmlProblems(sheet.slice(sheet.indexOf('<div class="grid">'), sheet.indexOf("</body>")))).toEqual([]);
  });

  it("keeps chart files inside charts/ and distinct, whatever the scenario ids", () => {
    const results = sampleResults();
    const [first, second] = results.scenarios;
    if (!first || !second) throw new Error("fixture has scenarios");
    first.id = "../../etc/passwd";
    second.id = "..-..-etc-passwd";
    second.charts = [...second.charts, first.charts[0] as Chart];
    const names = [...chartFileNames(results).values()];
    expect(names).toEqual(["etc-passwd-1.svg", "etc-passwd-1-2.svg", "etc-passwd-2.svg"]);
  });
});
