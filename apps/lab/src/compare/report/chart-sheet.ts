import type { Results } from "../results.js";
import { escapeXml as esc } from "./escape.js";
import { renderChart } from "./svg.js";

const SHEET_CSS = `body{font-family:"DejaVu Sans",Arial,sans-serif;margin:16px;color:#1a1a1a;background:#fff}
h1{font-size:20px;margin:0 0 4px}p{margin:0 0 12px;color:#444;font-size:13px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px 20px}
figure{margin:0;border:1px solid #ddd;padding:8px}figcaption{font-size:13px;font-weight:bold;margin-bottom:4px}
svg{width:100%;height:auto}`;

/**
 * Every chart of a run on one page, two per row, each captioned with its
 * scenario: a picture of a whole comparison that fits in a README or a slide
 * (`charts.html`, screenshot it with a headless browser).
 */
export function renderChartSheet(results: Results): string {
  const figures = results.scenarios.flatMap((scenario) =>
    scenario.charts.map(
      (chart, i) =>
        `<figure><figcaption>${esc(scenario.title)}</figcaption>${renderChart(chart, { idPrefix: `sheet-${esc(scenario.id)}-${i + 1}` })}</figure>`,
    ),
  );
  const env = results.environment;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>statelab charts — ${esc(results.startedAt)}</title><style>${SHEET_CSS}</style></head><body>`,
    "<h1>statelab: stateful sessions vs stateless JWTs</h1>",
    `<p>${esc(`${results.startedAt} · ${env.quick ? "quick" : "full"} run · ${env.cpus} CPUs · Node ${env.node} · ${env.postgres} · ${env.redis} · commit ${env.commit}`)}</p>`,
    `<div class="grid">${figures.join("\n")}</div>`,
    "</body></html>",
    "",
  ].join("\n");
}
