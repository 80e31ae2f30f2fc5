// Topology: stacks, instances and the servers, with their fault buttons. Built once per
// instance and updated in place, so keyboard focus survives the updates.
import { fault } from "./api.js";
import { $, el } from "./dom.js";

let choices = { strategies: [], stores: [] };

/** What the selects offer, from the snapshot (the server's lists, never a copy). */
export function setChoices(next) {
  choices = next;
}

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
  const columns = ["instance (pid)", "process, health", "in flight", "served", "failed", "actions"];
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
    el("td", { class: "states" }, cells.process, cells.health),
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

export function renderStacks(stacks) {
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

export function renderServers(servers) {
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
