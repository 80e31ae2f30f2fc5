// The control API: the same one `statelab fault` calls.
import { $, clock } from "./dom.js";

function undoAfterMs() {
  const raw = $("#undo-after").value.trim();
  return raw === "" ? null : Math.round(Number(raw) * 1000);
}

export function say(text, isOk) {
  const status = $("#action-status");
  status.textContent = text;
  status.dataset.ok = String(isOk);
}

export async function post(path, body, method = "POST") {
  const res = await fetch(path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

export async function fault(kind, target, value = null, canUndo = false) {
  const forMs = canUndo ? undoAfterMs() : null;
  say(`${kind} ${target}${value ? ` ${value}` : ""}…`, true);
  try {
    const { fault: record } = await post("/api/faults", { kind, target, value, forMs });
    say(`${record.detail}${record.undoAt ? ` — undone at ${clock(record.undoAt)}` : ""}`, true);
  } catch (error) {
    say(`${kind} ${target}: ${error.message}`, false);
  }
}
