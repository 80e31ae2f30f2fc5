export type { LoadOptions, LoadProgress, LoadResponse, LoadRun, Op, RequestSpec } from "./driver.js";
export { runLoad } from "./driver.js";
export type { ResponseHeaders } from "./exchange.js";
export type { TimelineBucket } from "./summary.js";
export { countOutcomes, firstOkAfter, isAllOkAfter, lastFailure, latency, perInstance, timeline } from "./summary.js";
