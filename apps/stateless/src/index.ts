export { createApp, describeTokenAuth, type StatelessDeps } from "./app.js";
export { loadStatelessConfig, type StatelessConfig } from "./config.js";
export { statelessMigrations } from "./migrations.js";
export { ACCESS_TOKEN_TYPE, type AccessClaims, createAccessTokens } from "./tokens/access-token.js";
export { type KeySet, listKeys, loadKeySet, retireKey, rotateKeys } from "./tokens/keys.js";
