// Who am I on which instance, the soft state in Redis with TTLs counting down, and the
// panels other parts of the lab will fill (lease, quorum).
import { $, clock, el, seconds } from "./dom.js";

export function renderDemo(demo) {
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

function renderKeys(selector, group, emptyText) {
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
  if (group.count === 0) rows.push(el("tr", {}, el("td", { colspan: "2", class: "note", text: emptyText })));
  $(`${selector} tbody`).replaceChildren(...rows);
}

export function renderSoftState(view) {
  softState = view;
  $("#soft-status").textContent =
    view.status === "ok"
      ? `${view.sessions.count} sessions, ${view.denylist.count} denylist entries; TTLs count down live`
      : `Redis unreachable: ${view.error}`;
  renderKeys("#sessions", view.sessions, "none (a stateful login adds one)");
  renderKeys("#denylist", view.denylist, "none (a stateless logout adds one)");
  countDown();
}

export function countDown() {
  for (const cell of document.querySelectorAll("[data-expires]")) {
    const at = cell.dataset.expires;
    cell.textContent = at === "" ? "no TTL (hard state)" : seconds(Math.max(0, Number(at) - Date.now()));
  }
}

export async function refreshPanels() {
  for (const node of document.querySelectorAll("[data-panel]")) {
    try {
      const res = await fetch(`/api/panels/${node.dataset.panel}`);
      const body = await res.json();
      node.dataset.status = body.status;
      node.textContent =
        body.status === "not running" ? `not running — ${body.detail}` : (body.summary ?? JSON.stringify(body));
    } catch {
      node.textContent = "unavailable";
    }
  }
}
