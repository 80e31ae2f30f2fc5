import { formatDuration, formatNumber } from "../../format.js";
import type { Chart, OutcomeCounts, Results, ScenarioResult, Table } from "../results.js";
import { escapeMarkdown as md } from "./escape.js";
import { environmentRows, formatCell, scenarioStatus, tableShape } from "./tables.js";

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** The file name of each chart inside `charts/` (e.g. `sticky-1.svg`), as written beside report.md. */
  chartFiles: Map<Chart, string>;
}

const STATUS_TEXT = { ok: "✅ ok", failed: "❌ invariant failed", error: "⚠️ error" } as const;

function mdTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const rule = header.map((_, i) => (numeric[i] ? "---:" : "---"));
  return [line(header), line(rule), ...rows.map(line)].join("\n");
}

/** Escapes a cell; an empty one keeps a space so the row keeps its shape. */
function cell(text: string): string {
  return text === "" ? " " : md(text);
}

function environmentTable(results: Results): string {
  const rows = environmentRows(results);
  return mdTable(
    [" ", " "],
    rows.map(([name, value]) => [name, cell(value)]),
  );
}

function summaryTable(scenarios: ScenarioResult[]): string {
  const rows = scenarios.map((scenario) => {
    const status = scenarioStatus(scenario);
    return [
      cell(scenario.id),
      cell(scenario.title),
      `${status.held}/${status.total}`,
      formatDuration(scenario.durationMs),
      STATUS_TEXT[status.kind],
    ];
  });
  return mdTable(["id", "scenario", "invariants held", "duration", "status"], rows);
}

function dataTable(table: Table): string {
  const shape = tableShape(table);
  const caption = table.caption ? `**${md(table.caption)}**\n\n` : "";
  if (shape.columns.length === 0) return `${caption}_(empty table)_`;
  const rows = shape.rows.map((row) => row.map((value) => cell(formatCell(value))));
  const body = mdTable(shape.columns.map(cell), rows, shape.numeric);
  return `${caption}${body}${shape.rows.length === 0 ? "\n\n_(no rows)_" : ""}`;
}

function chartImage(chart: Chart, chartFiles: Map<Chart, string>): string {
  const file = chartFiles.get(chart);
  if (file === undefined) return `_Chart not rendered: ${md(chart.title)}_`;
  // Percent-encoding keeps spaces or parentheses in a name from ending the link early.
  return `![${md(chart.title)}](charts/${encodeURIComponent(file)})`;
}

function outcomesTable(outcomes: Record<string, OutcomeCounts>): string {
  const rows = Object.entries(outcomes).map(([variant, counts]) => [
    cell(variant),
    formatNumber(counts.ok),
    formatNumber(counts.fail),
    formatNumber(counts.unknown),
  ]);
  return mdTable(["variant", "ok", "fail", "unknown"], rows, [false, true, true, true]);
}

function scenarioSection(scenario: ScenarioResult, index: number, chartFiles: Map<Chart, string>): string {
  const parts = [`## ${index + 1}. ${md(scenario.title)}`, `**Question:** ${md(scenario.question)}`];
  parts.push(
    `_id ${md(scenario.id)} · started ${md(scenario.startedAt)} · took ${formatDuration(scenario.durationMs)}_`,
  );
  if (scenario.error !== undefined) {
    parts.push(`> **⚠️ ERROR — this scenario did not run to the end:** ${md(scenario.error)}`);
  }
  parts.push(...scenario.tables.map(dataTable));
  parts.push(...scenario.charts.map((chart) => chartImage(chart, chartFiles)));
  if (scenario.reading.length > 0) {
    parts.push("### Reading", scenario.reading.map((sentence) => `- ${md(sentence)}`).join("\n"));
  }
  if (scenario.invariants.length > 0) {
    const items = scenario.invariants.map(
      (inv) => `- ${inv.holds ? "✅" : "❌ **FAILED:**"} ${md(inv.name)}${inv.detail ? ` — ${md(inv.detail)}` : ""}`,
    );
    parts.push("### Invariants", items.join("\n"));
  }
  if (Object.keys(scenario.outcomes).length > 0) parts.push("### Outcomes", outcomesTable(scenario.outcomes));
  return parts.join("\n\n");
}

/**
 * Renders the whole run as GitHub markdown: environment, summary, then one section per
 * scenario. Charts are linked as `charts/<file>` from `options.chartFiles`, never inlined.
 */
export function renderMarkdown(results: Results, options: MarkdownOptions): string {
  const parts = [
    "# statelab report: stateful sessions vs stateless JWTs",
    `Run started ${md(results.startedAt)} and took ${formatDuration(results.durationMs)}.`,
    "## Environment",
    environmentTable(results),
    "## Summary",
    results.scenarios.length === 0 ? "_No scenario ran._" : summaryTable(results.scenarios),
    ...(results.faultMatrix ? ["## Fault matrix", dataTable(results.faultMatrix)] : []),
    ...results.scenarios.map((scenario, i) => scenarioSection(scenario, i, options.chartFiles)),
  ];
  return `${parts.join("\n\n")}\n`;
}
