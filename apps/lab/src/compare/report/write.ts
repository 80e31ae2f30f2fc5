import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Chart, Results } from "../results.js";
import { renderChartSheet } from "./chart-sheet.js";
import { slug } from "./escape.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { renderChart } from "./svg.js";

/** Where {@link writeReport} put each file. */
export interface WrittenReport {
  json: string;
  markdown: string;
  html: string;
  /** Every chart on one page (for a screenshot). */
  chartSheet: string;
  charts: string[];
}

/**
 * Names every chart `<scenario-id>-<n>.svg` (n from 1 within its scenario). Ids are slugged
 * so a scenario id can never point outside `charts/`, and suffixed when two would collide.
 */
export function chartFileNames(results: Results): Map<Chart, string> {
  const names = new Map<Chart, string>();
  const taken = new Set<string>();
  for (const scenario of results.scenarios) {
    scenario.charts.forEach((chart, i) => {
      const base = `${slug(scenario.id)}-${i + 1}`;
      let name = `${base}.svg`;
      for (let n = 2; taken.has(name); n += 1) name = `${base}-${n}.svg`;
      taken.add(name);
      // The same chart object listed twice keeps its first file.
      if (!names.has(chart)) names.set(chart, name);
    });
  }
  return names;
}

/**
 * Writes results.json, charts/*.svg, report.md, report.html and charts.html into `dir` (created if
 * missing, files overwritten) and returns their paths.
 */
export async function writeReport(dir: string, results: Results): Promise<WrittenReport> {
  const chartDir = join(dir, "charts");
  await mkdir(chartDir, { recursive: true });
  const chartFiles = chartFileNames(results);
  const charts = await Promise.all(
    [...chartFiles].map(async ([chart, name], i) => {
      const path = join(chartDir, name);
      await writeFile(path, `${renderChart(chart, { idPrefix: `chart-${i + 1}` })}\n`);
      return path;
    }),
  );
  const json = join(dir, "results.json");
  const markdown = join(dir, "report.md");
  const html = join(dir, "report.html");
  const chartSheet = join(dir, "charts.html");
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(markdown, renderMarkdown(results, { chartFiles }));
  await writeFile(html, renderHtml(results));
  await writeFile(chartSheet, renderChartSheet(results));
  return { json, markdown, html, chartSheet, charts };
}
