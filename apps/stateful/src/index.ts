export { createApp, type StatefulDeps } from "./app.js";
export { SECURE_SESSION_COOKIE, SESSION_COOKIE, sessionCookieName } from "./auth.js";
export { loadStatefulConfig, type StatefulConfig } from "./config.js";
export { hashSessionId } from "./session-store.js";
