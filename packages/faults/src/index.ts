export { clockSkewEnv, libfaketimePath, writeClockOffset } from "./clock.js";
export type { Direction, Fault } from "./fault.js";
export { type Relay, type RelayOptions, startRelay } from "./relay.js";
export { type ActiveFault, type FaultSpec, startTimedFault } from "./timed.js";
