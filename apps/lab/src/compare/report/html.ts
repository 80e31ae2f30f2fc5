import { formatDuration, formatNumber } from "../../format.js";
import type { OutcomeCounts, Results, ScenarioResult, Table } from "../results.js";
import { escapeXml as esc, slug } from "./escape.js";
import { REPORT_CSS } from "./html-style.js";
import { renderChart } from "./svg.js";
import { environmentRows, formatCell, type ScenarioStatus, scenarioStatus, tableShape } from "./tables.js";

// Marks drawn from glyphs every common font has (✓ U+2713, ✗ U+2717, "!"): emoji show as
// empty boxes where no emoji font is installed. The words beside them carry the meaning, so
// screen readers skip the marks.
const MARK = {
  ok: `<span class="icon" aria-hidden="true">✓</span>`,
  failed: `<span class="icon" aria-hidden="true">✗</span>`,
  error: `<span class="icon warn" aria-hidden="true">!</span>`,
} as const;

// The status is spelled out in words and marks, never by colour alone.
const STATUS_HTML = {
  ok: `<span class="status ok">${MARK.ok} ok</span>`,
  failed: `<span class="status failed">${MARK.failed} invariant failed</span>`,
  error: `<span class="status error">${MARK.error} error</span>`,
} as const;

function htmlTable(header: string[], rows: string[][], numeric: boolean[], caption = ""): string {
  const cls = (i: number) => (numeric[i] ? ` class="num"` : "");
  const head = `<thead><tr>${header.map((h, i) => `<th scope="col"${cls(i)}>${h}</th>`).join("")}</tr></thead>`;
  const body = `<tbody>${rows.map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${c}</td>`).join("")}</tr>`).join("")}</tbody>`;
  const cap = caption ? `<caption>${caption}</caption>` : "";
  return `<div class="table-wrap"><table>${cap}${head}${body}</table></div>`;
}

/** Scenario anchors are slugs of the id, made unique so two scenarios never share one. */
function anchors(scenarios: ScenarioResult[]): string[] {
  const seen = new Set<string>();
  return scenarios.map((scenario) => {
    const base = `scenario-${slug(scenario.id)}`;
    let anchor = base;
    for (let n = 2; seen.has(anchor); n += 1) anchor = `${base}-${n}`;
    seen.add(anchor);
    return anchor;
  });
}

function environmentSection(results: Results): string {
  const rows = environmentRows(results);
  const body = rows.map(([name, value]) => `<tr><th scope="row">${name}</th><td>${esc(value)}</td></tr>`).join("");
  return `<h2 id="environment">Environment</h2><div class="table-wrap"><table><tbody>${body}</tbody></table></div>`;
}

function summarySection(scenarios: ScenarioResult[], ids: string[]): string {
  if (scenarios.length === 0) return `<h2 id="summary">Summary</h2><p>No scenario ran.</p>`;
  const rows = scenarios.map((scenario, i) => {
    const status: ScenarioStatus = scenarioStatus(scenario);
    return [
      esc(scenario.id),
      `<a href="#${ids[i]}">${esc(scenario.title)}</a>`,
      `${status.held}/${status.total}`,
      formatDuration(scenario.durationMs),
      STATUS_HTML[status.kind],
    ];
  });
  const header = ["id", "scenario", "invariants held", "duration", "status"];
  return `<h2 id="summary">Summary</h2>${htmlTable(header, rows, [false, false, true, true, false])}`;
}

function contents(scenarios: ScenarioResult[], ids: string[], hasMatrix: boolean): string {
  const items = scenarios.map((scenario, i) => {
    const status = scenarioStatus(scenario);
    const flag = status.kind === "ok" ? "" : ` ${STATUS_HTML[status.kind]}`;
    return `<li><a href="#${ids[i]}">${esc(scenario.title)}</a>${flag}</li>`;
  });
  const fixed =
    `<li><a href="#environment">Environment</a></li><li><a href="#summary">Summary</a></li>` +
    (hasMatrix ? `<li><a href="#fault-matrix">Fault matrix</a></li>` : "");
  return `<nav aria-labelledby="contents"><h2 id="contents">Contents</h2><ol>${fixed}${items.join("")}</ol></nav>`;
}

function dataTable(table: Table): string {
  const shape = tableShape(table);
  if (shape.columns.length === 0) return `<p><strong>${esc(table.caption)}</strong> (empty table)</p>`;
  const rows = shape.rows.map((row) => row.map((value) => esc(formatCell(value))));
  const note = shape.rows.length === 0 ? `<p class="meta">(no rows)</p>` : "";
  return htmlTable(shape.columns.map(esc), rows, shape.numeric, esc(table.caption)) + note;
}

function outcomesTable(outcomes: Record<string, OutcomeCounts>): string {
  const rows = Object.entries(outcomes).map(([variant, counts]) => [
    esc(variant),
    formatNumber(counts.ok),
    formatNumber(counts.fail),
    formatNumber(counts.unknown),
  ]);
  return htmlTable(["variant", "ok", "fail", "unknown"], rows, [false, true, true, true]);
}

function invariantList(scenario: ScenarioResult): string {
  const items = scenario.invariants.map((inv) => {
    const mark = inv.holds
      ? `<span class="mark">${MARK.ok} held</span>`
      : `<span class="mark">${MARK.failed} FAILED</span>`;
    const detail = inv.detail ? ` <span class="detail">— ${esc(inv.detail)}</span>` : "";
    return `<li class="${inv.holds ? "ok" : "fail"}">${mark} ${esc(inv.name)}${detail}</li>`;
  });
  return `<h3>Invariants</h3><ul class="invariants">${items.join("")}</ul>`;
}

function scenarioSection(scenario: ScenarioResult, index: number, anchor: string): string {
  const parts = [
    `<h2 id="${anchor}">${index + 1}. ${esc(scenario.title)}</h2>`,
    `<p class="question"><strong>Question:</strong> ${esc(scenario.question)}</p>`,
    `<p class="meta">id ${esc(scenario.id)} · started ${esc(scenario.startedAt)} · took ${formatDuration(scenario.durationMs)}</p>`,
  ];
  if (scenario.error !== undefined) {
    parts.push(
      `<div class="error" role="alert"><strong>${MARK.error} ERROR — this scenario did not run to the end:</strong> ${esc(scenario.error)}</div>`,
    );
  }
  parts.push(...scenario.tables.map(dataTable));
  parts.push(
    ...scenario.charts.map((chart, i) => {
      const svg = renderChart(chart, { idPrefix: `${anchor}-chart-${i + 1}` });
      return `<figure>${svg}<figcaption>${esc(chart.title)}</figcaption></figure>`;
    }),
  );
  if (scenario.reading.length > 0) {
    parts.push(`<h3>Reading</h3><ul>${scenario.reading.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>`);
  }
  if (scenario.invariants.length > 0) parts.push(invariantList(scenario));
  if (Object.keys(scenario.outcomes).length > 0) parts.push(`<h3>Outcomes</h3>${outcomesTable(scenario.outcomes)}`);
  return `<section aria-labelledby="${anchor}">${parts.join("\n")}</section>`;
}

/**
 * Renders the whole run as one self-contained HTML5 page: inline CSS and SVG, no script,
 * no external resource; the same content and order as {@link renderMarkdown}.
 */
export function renderHtml(results: Results): string {
  const ids = anchors(results.scenarios);
  const head = [
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>statelab report — ${esc(results.startedAt)}</title>`,
    `<style>${REPORT_CSS}</style>`,
  ].join("\n");
  const body = [
    `<h1>statelab report: stateful sessions vs stateless JWTs</h1>`,
    `<p class="meta">Run started ${esc(results.startedAt)} and took ${formatDuration(results.durationMs)}.</p>`,
    contents(results.scenarios, ids, results.faultMatrix !== undefined),
    environmentSection(results),
    summarySection(results.scenarios, ids),
    results.faultMatrix ? `<h2 id="fault-matrix">Fault matrix</h2>${dataTable(results.faultMatrix)}` : "",
    ...results.scenarios.map((scenario, i) => scenarioSection(scenario, i, ids[i] ?? `scenario-${i + 1}`)),
  ].join("\n");
  return `<!doctype html>\n<html lang="en">\n<head>\n${head}\n</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`;
}
