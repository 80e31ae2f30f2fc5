export { renderChartSheet } from "./chart-sheet.js";
export { renderHtml } from "./html.js";
export { type MarkdownOptions, renderMarkdown } from "./markdown.js";
export { type ChartOptions, describeChart, renderChart } from "./svg.js";
export { chartFileNames, type WrittenReport, writeReport } from "./write.js";
