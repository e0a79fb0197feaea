export type { ExecResult } from "./exec.js";
export { run, runInNetns, spawnInNetns } from "./exec.js";
export type { NetnsErrorCode } from "./netns-error.js";
export { NetnsError } from "./netns-error.js";
export type { VethEnd } from "./netns-harness.js";
export { NetnsHarness, removeStale, withNetns } from "./netns-harness.js";
export { FAMILY_PREFIX, STATE_DIR } from "./run-state.js";
export type { TopologyHost, TwoNodeTopology } from "./two-node-topology.js";
export { createTwoNodeTopology } from "./two-node-topology.js";
