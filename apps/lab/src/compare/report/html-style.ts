/**
 * The report's only stylesheet, inlined so the HTML file stands alone: system fonts
 * (no web fonts to fetch), a readable measure on laptops, and print rules that keep
 * tables and charts whole on a page.
 */
export const REPORT_CSS = `
:root { color-scheme: light; --text: #1a1a1a; --muted: #4d4d4d; --line: #d0d0d0; --ok: #0b6b2e; --bad: #a4000f; --warn-bg: #fff4f4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.8rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 0.5rem; padding-top: 0.5rem; border-top: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.meta { color: var(--muted); font-size: 0.9rem; }
.question { font-size: 1.05rem; }
nav ol { padding-left: 1.5rem; }
nav li { margin: 0.15rem 0; }
a { color: #0b57a4; }
.table-wrap { overflow-x: auto; margin: 0.75rem 0 1.25rem; }
table { border-collapse: collapse; font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 1.5rem; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.9rem; }
.status { font-weight: 600; white-space: nowrap; }
.icon { font-weight: 700; }
.icon.warn { display: inline-block; min-width: 1.2em; line-height: 1.05em; border: 0.12em solid currentColor; border-radius: 50%; text-align: center; font-size: 0.85em; }
.status.ok, .invariants .ok .mark { color: var(--ok); }
.status.failed, .status.error, .invariants .fail { color: var(--bad); }
.invariants { list-style: none; padding-left: 0; }
.invariants li { padding: 0.25rem 0.5rem; margin: 0.2rem 0; border-left: 4px solid transparent; }
.invariants li.fail { border-left-color: var(--bad); background: var(--warn-bg); font-weight: 600; }
.invariants .detail { font-weight: normal; color: var(--text); }
div.error { border: 2px solid var(--bad); border-left-width: 8px; background: var(--warn-bg); padding: 0.75rem 1rem; margin: 1rem 0; }
div.error strong { color: var(--bad); }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2 { break-before: page; border-top: none; }
  h2#environment, h2#summary, nav h2 { break-before: auto; }
  table, figure, div.error, .invariants li { break-inside: avoid; }
  .table-wrap { overflow: visible; }
}
`;
