// Traffic charts (uPlot, served from node_modules) with a marker at every fault.
import { $, clock, el } from "./dom.js";

const UPlot = globalThis.uPlot;
const charts = new Map();
let faults = [];

/** Red for what breaks, green for what mends, purple for a switch. */
const markerColors = {
  kill: "#b3261e",
  pause: "#b3261e",
  stop: "#b3261e",
  resume: "#1e6b3a",
  restart: "#1e6b3a",
  start: "#1e6b3a",
  strategy: "#6a3fa0",
  store: "#6a3fa0",
};

/** Vertical lines where the faults of one stack (and of the servers both share) happened, labelled. */
const markerPlugin = (label) => ({
  hooks: {
    draw: [
      (u) => {
        const [min, max] = [u.scales.x.min, u.scales.x.max];
        const { ctx, bbox } = u;
        ctx.save();
        ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
        const shown = faults.filter((record) => record.stack === label || record.stack === null);
        for (const [i, record] of shown.entries()) {
          const t = record.at / 1000;
          if (t < min || t > max) continue;
          const x = Math.round(u.valToPos(t, "x", true));
          ctx.strokeStyle = markerColors[record.kind];
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
          ctx.fillStyle = ctx.strokeStyle;
          // Labels of faults close in time take turns on three lines instead of overprinting.
          const y = bbox.top + (12 + (i % 3) * 13) * devicePixelRatio;
          // Near the right edge the label goes left of its line, clear of the axis.
          const isRight = x > bbox.left + bbox.width * 0.7;
          ctx.textAlign = isRight ? "right" : "left";
          ctx.fillText(`${record.kind} ${record.target}`, x + (isRight ? -4 : 4) * devicePixelRatio, y);
        }
        ctx.restore();
      },
    ],
  },
});

function chartFor(label) {
  let chart = charts.get(label);
  if (chart) return chart;
  const box = el("div", { class: "chart", "data-chart": label });
  const totals = el("p", { class: "chart-totals", "data-role": "totals" });
  box.append(el("h3", { text: `${label}: ok req/s, errors/s, p99 ms` }), totals);
  $("#charts").append(box);
  const plot = new UPlot(
    {
      width: Math.max(300, box.clientWidth),
      height: 220,
      plugins: [markerPlugin(label)],
      scales: { x: { time: true }, ms: { auto: true } },
      axes: [
        { space: 70, values: (_, ticks) => ticks.map((t) => clock(t * 1000)) },
        { label: "req/s" },
        { scale: "ms", side: 1, label: "p99 ms", grid: { show: false } },
      ],
      series: [
        {},
        { label: "ok req/s", stroke: "#1f5fbf", width: 2 },
        { label: "errors/s", stroke: "#b3261e", width: 2, fill: "rgba(179,38,30,0.12)" },
        { label: "p99 ms", stroke: "#6a3fa0", width: 1.5, scale: "ms", dash: [4, 3] },
      ],
    },
    [[], [], [], []],
    box,
  );
  // The chart follows its column's width (uPlot draws at a fixed size).
  new ResizeObserver(() => plot.setSize({ width: Math.max(300, box.clientWidth), height: 220 })).observe(box);
  chart = { plot, totals };
  charts.set(label, chart);
  return chart;
}

export function renderTraffic(traffic) {
  const state = $("#traffic-state");
  const ends = traffic.endsAt ? ` until ${clock(traffic.endsAt)}` : "";
  state.textContent = `${traffic.state}${ends}${traffic.note ? ` — ${traffic.note}` : ""}`;
  state.dataset.state = traffic.state;
  $("#traffic-start").disabled = traffic.state !== "idle";
  $("#traffic-stop").disabled = traffic.state === "idle";
  for (const [label, series] of Object.entries(traffic.stacks)) {
    const { plot, totals } = chartFor(label);
    const points = series.points;
    plot.setData([
      points.map((p) => p.t),
      points.map((p) => p.rps),
      points.map((p) => p.errors),
      points.map((p) => p.p99),
    ]);
    totals.textContent = `last 2 min: ${series.ok} ok, ${series.errors} errors, ${series.relogins} logins again`;
    totals.dataset.errors = String(series.errors);
  }
}

export function renderFaults(records) {
  faults = records;
  const log = $("#fault-log");
  log.replaceChildren(
    ...[...records].reverse().map((record) =>
      el(
        "li",
        {
          "data-fault-kind": record.kind,
          "data-fault-target": record.target,
          "data-undo": String(record.undoOf !== null),
        },
        el("span", { class: "time", text: `${clock(record.at)} ` }),
        record.detail,
        record.undoAt ? ` (undone at ${clock(record.undoAt)})` : "",
      ),
    ),
  );
}
