// The live dashboard: renders the snapshots `statelab up` pushes over server-sent events,
// and sends the buttons' faults to the same control API `statelab fault` uses.
import { post, say } from "./api.js";
import { renderFaults, renderTraffic } from "./charts.js";
import { $ } from "./dom.js";
import { countDown, refreshPanels, renderDemo, renderSoftState } from "./panels.js";
import { renderServers, renderStacks, setChoices } from "./topology.js";

function render(snapshot) {
  setChoices(snapshot.choices);
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
