export { type BackendSpec, backendIdPattern, parseBackendList, validateBackends } from "./backend-list.js";
export type { BackendEvent, BackendStatus } from "./backend-set.js";
export { labSourceAddress, loadConfig, type ProxyConfig, presets } from "./config.js";
export { ProxyConfigError, ProxyError, type ProxyErrorCode } from "./errors.js";
export { createProxy, type ProxyEvent, type ProxyOptions, proxyDefaults, type ReverseProxy } from "./proxy.js";
export { type FrontendSpec, type RenderOptions, renderHaproxyConfig } from "./render-haproxy.js";
export {
  createStrategy,
  isStrategyName,
  type PickContext,
  type Strategy,
  type StrategyName,
  strategyNames,
} from "./strategies/index.js";
export { listenProxy, type RunningProxy } from "./testing/listen.js";
