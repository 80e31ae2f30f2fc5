export type { Direction, Fault } from "./fault.js";
export { type Relay, type RelayOptions, startRelay } from "./relay.js";
