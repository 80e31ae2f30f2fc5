// The live dashboard: renders the snapshots `statelab up` pushes over server-sent events,
// and sends the buttons' faults to the same control API `statelab fault` uses.
// The DOM is built once per instance and updated in place, so keyboard focus survives updates.
const UPlot = globalThis.uPlot;
let choices = { strategies: [], stores: [] };
const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
const seconds = (ms) => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

// ---- control API ----

function undoAfterMs() {
  const raw = $("#undo-after").value.trim();
  return raw === "" ? null : Math.round(Number(raw) * 1000);
}

function say(text, isOk) {
  const status = $("#action-status");
  status.textContent = text;
  status.dataset.ok = String(isOk);
}

async function post(path, body, method = "POST") {
  const res = await fetch(path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

async function fault(kind, target, value = null, canUndo = false) {
  const forMs = canUndo ? undoAfterMs() : null;
  say(`${kind} ${target}${value ? ` ${value}` : ""}…`, true);
  try {
    const { fault: record } = await post("/api/faults", { kind, target, value, forMs });
    say(`${record.detail}${record.undoAt ? ` — undone at ${clock(record.undoAt)}` : ""}`, true);
  } catch (error) {
    say(`${kind} ${target}: ${error.message}`, false);
  }
}

// ---- topology ----

const stackViews = new Map();

function stackCard(stack) {
  const strategy = el("select", { id: `strategy-${stack.label}` });
  for (const name of choices.strategies) strategy.append(el("option", { value: name, text: name }));
  const head = el(
    "div",
    { class: "stack-head" },
    el("span", { class: "badge", "data-role": "proxy" }),
    el("label", { for: strategy.id, text: "Proxy strategy" }),
    strategy,
    el("button", {
      type: "button",
      text: "Switch",
      onclick: () => fault("strategy", stack.label, strategy.value, true),
    }),
    el("button", { type: "button", text: "Restart proxy", onclick: () => fault("restart", `proxy-${stack.label}`) }),
  );
  if (stack.store !== null) {
    const store = el("select", { id: `store-${stack.label}` });
    for (const name of choices.stores) store.append(el("option", { value: name, text: name }));
    head.append(
      el("label", { for: store.id, text: "Session store" }),
      store,
      el("button", {
        type: "button",
        text: "Switch store",
        onclick: () => fault("store", stack.label, store.value, true),
      }),
    );
  }
  const columns = ["instance (pid)", "process", "health", "in flight", "served", "failed", "actions"];
  const table = el(
    "table",
    { "aria-label": `${stack.label} instances` },
    el("thead", {}, el("tr", {}, ...columns.map((name) => el("th", { scope: "col", text: name })))),
    el("tbody"),
  );
  const card = el(
    "article",
    { class: "stack", "data-stack": stack.label },
    el("h3", { "data-role": "title" }),
    head,
    table,
  );
  $("#stacks").append(card);
  return { card, strategy, store: $(`#store-${stack.label}`, card), rows: new Map(), tbody: $("tbody", table) };
}

function instanceRow(view, instance) {
  const action = (text, kind, isDanger = false, canUndo = false) =>
    el("button", {
      type: "button",
      class: isDanger ? "danger" : "",
      "aria-label": `${text} ${instance.id}`,
      text,
      onclick: () => fault(kind, instance.id, null, canUndo),
    });
  const cells = {
    process: el("span", { class: "badge" }),
    health: el("span", { class: "badge" }),
    inFlight: el("td", { class: "num" }),
    served: el("td", { class: "num" }),
    failed: el("td", { class: "num" }),
    pid: el("span", { class: "pid" }),
  };
  const row = el(
    "tr",
    { "data-instance": instance.id },
    el("th", { scope: "row" }, `${instance.id} `, cells.pid),
    el("td", {}, cells.process),
    el("td", {}, cells.health),
    cells.inFlight,
    cells.served,
    cells.failed,
    el(
      "td",
      {},
      el(
        "div",
        { class: "actions" },
        action("Kill", "kill", true, true),
        action("Pause", "pause", false, true),
        action("Resume", "resume"),
        action("Restart", "restart"),
      ),
    ),
  );
  view.tbody.append(row);
  return { row, cells };
}

function renderStacks(stacks) {
  for (const stack of stacks) {
    let view = stackViews.get(stack.label);
    if (!view) {
      view = stackCard(stack);
      stackViews.set(stack.label, view);
    }
    const lb = stack.lb === "haproxy" ? "HAProxy" : "built-in proxy";
    $("[data-role=title]", view.card).textContent =
      `${stack.label} — ${lb}, ${stack.strategy}${stack.store ? `, ${stack.store} store` : ""}`;
    const proxy = $("[data-role=proxy]", view.card);
    proxy.textContent = `proxy ${stack.proxy.process}`;
    proxy.dataset.state = stack.proxy.process;
    if (document.activeElement !== view.strategy) view.strategy.value = stack.strategy;
    if (view.store && document.activeElement !== view.store) view.store.value = stack.store;
    for (const instance of stack.instances) {
      let entry = view.rows.get(instance.id);
      if (!entry) {
        entry = instanceRow(view, instance);
        view.rows.set(instance.id, entry);
      }
      const { row, cells } = entry;
      const healthy = instance.process === "running" && instance.health === "up";
      row.dataset.health = healthy ? "up" : instance.health === "up" ? "unknown" : instance.health;
      row.dataset.process = instance.process;
      cells.process.textContent = instance.process;
      cells.process.dataset.state = instance.process;
      cells.health.textContent = healthy ? "healthy" : instance.health === "down" ? "unhealthy" : instance.health;
      cells.health.dataset.state = healthy ? "up" : instance.health === "down" ? "down" : "unknown";
      if (instance.lastError) cells.health.title = instance.lastError;
      cells.inFlight.textContent = instance.inFlight ?? "–";
      cells.served.textContent = instance.served ?? "–";
      cells.failed.textContent = instance.failed ?? "–";
      cells.pid.textContent = instance.pid ? `(${instance.pid})` : "(–)";
    }
  }
}

function renderServers(servers) {
  const list = $("#servers");
  for (const server of servers) {
    let item = $(`[data-server="${server.name}"]`, list);
    if (!item) {
      const button = (text, kind, canUndo) =>
        el("button", {
          type: "button",
          class: kind === "stop" ? "danger" : "",
          "aria-label": `${text} ${server.name}`,
          text,
          onclick: () => fault(kind, server.name, null, canUndo),
        });
      item = el(
        "li",
        { "data-server": server.name },
        el("strong", { text: server.name }),
        el("span", { class: "badge" }),
        button("Stop", "stop", true),
        button("Start", "start", false),
      );
      list.append(item);
    }
    const badge = $(".badge", item);
    badge.textContent = server.state;
    badge.dataset.state = server.state;
    for (const button of item.querySelectorAll("button")) button.disabled = server.state === "external";
  }
}

// ---- traffic charts and fault markers ----

const charts = new Map();
let faults = [];

/** Vertical lines where faults happened, labelled, drawn on every chart. */
const markerPlugin = {
  hooks: {
    draw: [
      (u) => {
        const [min, max] = [u.scales.x.min, u.scales.x.max];
        const { ctx, bbox } = u;
        ctx.save();
        ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
        for (const [i, record] of faults.entries()) {
          const t = record.at / 1000;
          if (t < min || t > max) continue;
          const x = Math.round(u.valToPos(t, "x", true));
          ctx.strokeStyle = record.undoOf === null ? "#b3261e" : "#1e6b3a";
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
          ctx.fillStyle = ctx.strokeStyle;
          // Labels of faults close in time take turns on three lines instead of overprinting.
          const y = bbox.top + (12 + (i % 3) * 13) * devicePixelRatio;
          ctx.fillText(`${record.kind} ${record.target}`, x + 4 * devicePixelRatio, y);
        }
        ctx.restore();
      },
    ],
  },
};

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
      plugins: [markerPlugin],
      scales: { x: { time: true }, ms: { auto: true } },
      axes: [{}, { label: "req/s" }, { scale: "ms", side: 1, label: "p99 ms", grid: { show: false } }],
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

function renderTraffic(traffic) {
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

function renderFaults(records) {
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

// ---- who am I, soft state, lease/quorum ----

function renderDemo(demo) {
  $("#demo").replaceChildren(
    ...demo.map((user) =>
      el(
        "div",
        { "data-demo": user.stack },
        el("h3", { text: `${user.stack}: ${user.username ?? "signing up…"} (logins: ${user.logins})` }),
        el(
          "ol",
          { class: "requests", "aria-label": `${user.stack} last requests, oldest first` },
          ...user.requests.map((r) =>
            el("li", {
              "data-ok": String(r.status >= 200 && r.status < 300),
              text: `${clock(r.at)} ${r.status || "—"} ${r.instance ?? r.code ?? ""}`,
            }),
          ),
        ),
      ),
    ),
  );
}

let softState = null;

function renderKeys(selector, group) {
  const rows = group.keys.map((entry) =>
    el(
      "tr",
      {},
      el("td", {}, el("code", { text: entry.key })),
      el("td", { class: "num", "data-expires": entry.ttlMs === null ? "" : String(softState.readAt + entry.ttlMs) }),
    ),
  );
  const more = group.count > group.keys.length ? `${group.count - group.keys.length} more…` : "";
  if (more || group.isCapped)
    rows.push(el("tr", {}, el("td", { colspan: "2", class: "note", text: `${more} (scan bounded)` })));
  if (group.count === 0) rows.push(el("tr", {}, el("td", { colspan: "2", class: "note", text: "none" })));
  $(`${selector} tbody`).replaceChildren(...rows);
}

function renderSoftState(view) {
  softState = view;
  $("#soft-status").textContent =
    view.status === "ok"
      ? `${view.sessions.count} sessions, ${view.denylist.count} denylist entries; TTLs count down live`
      : `Redis unreachable: ${view.error}`;
  renderKeys("#sessions", view.sessions);
  renderKeys("#denylist", view.denylist);
  countDown();
}

function countDown() {
  for (const cell of document.querySelectorAll("[data-expires]")) {
    const at = cell.dataset.expires;
    cell.textContent = at === "" ? "no TTL (hard state)" : seconds(Math.max(0, Number(at) - Date.now()));
  }
}

async function refreshPanels() {
  for (const node of document.querySelectorAll("[data-panel]")) {
    try {
      const res = await fetch(`/api/panels/${node.dataset.panel}`);
      const body = await res.json();
      node.dataset.status = body.status;
      node.textContent = body.status === "not running" ? `not running — ${body.detail}` : JSON.stringify(body);
    } catch {
      node.textContent = "unavailable";
    }
  }
}

// ---- wiring ----

function render(snapshot) {
  choices = snapshot.choices;
  renderServers(snapshot.servers);
  renderStacks(snapshot.stacks);
  renderFaults(snapshot.faults);
  renderTraffic(snapshot.traffic);
  renderDemo(snapshot.demo);
  renderSoftState(snapshot.softState);
}

function connect() {
  const status = $("#connection");
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => {
    status.textContent = "live";
    status.dataset.state = "live";
  });
  events.addEventListener("snapshot", (event) => render(JSON.parse(event.data)));
  events.addEventListener("error", () => {
    status.textContent = "disconnected — retrying…";
    status.dataset.state = "down";
  });
}

$("#traffic-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const users = Number($("#traffic-users").value);
  const seconds = Number($("#traffic-seconds").value);
  try {
    await post("/api/traffic", { users, seconds });
    say(`traffic: ${users} users per stack for ${seconds} s`, true);
  } catch (error) {
    say(`traffic: ${error.message}`, false);
  }
});
$("#traffic-stop").addEventListener("click", () => post("/api/traffic", undefined, "DELETE").catch(() => {}));
setInterval(countDown, 250);
setInterval(refreshPanels, 5000);
refreshPanels();
connect();
