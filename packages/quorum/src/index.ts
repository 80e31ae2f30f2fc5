export {
  createQuorumClient,
  type QuorumClient,
  type QuorumClientOptions,
  type ReadResult,
  type WriteOptions,
} from "./client.js";
export {
  describeQuorum,
  isPresetName,
  type PresetName,
  presets,
  type Quorum,
  type QuorumSpec,
  resolveQuorum,
} from "./config.js";
export {
  QuorumConditionError,
  QuorumConfigError,
  QuorumError,
  type QuorumErrorCode,
  QuorumUnavailableError,
  type ReplicaFailure,
} from "./errors.js";
export {
  type Anomaly,
  type AnomalyKind,
  type CheckResult,
  checkHistory,
  createHistory,
  type HistoryOp,
} from "./history.js";
export type { Replica, ReplicaConnection } from "./replica.js";
export { connectReplica, type ReplicaLink, type ReplicaServer, startReplicaServers } from "./replicas.js";
export { compareVersions, formatVersion, type Version } from "./version.js";
