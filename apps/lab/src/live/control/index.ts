export { FaultClientError, labDashboardUrl, parseLabUrl, sendFault } from "./client.js";
export { type ControlTargets, type FaultRecord, LabControl, sessionStores } from "./control.js";
export {
  ControlError,
  type ControlErrorCode,
  type FaultKind,
  type FaultRequest,
  faultKinds,
  faultUsage,
  maxFaultMs,
  parseDuration,
  parseFaultRequest,
} from "./faults.js";
export { type ServerControl, type ServerName, type ServerState, serverControls } from "./servers.js";
