export { createApp, type StatefulDeps } from "./app.js";
export { SESSION_COOKIE } from "./auth.js";
export { loadStatefulConfig, type StatefulConfig } from "./config.js";
export { hashSessionId } from "./session-store.js";
