export type { ExecResult, NetnsErrorCode, TopologyHost, TwoNodeTopology, VethEnd } from "./netns/index.js";
export {
  createTwoNodeTopology,
  FAMILY_PREFIX,
  NetnsError,
  NetnsHarness,
  removeStale,
  run,
  runInNetns,
  STATE_DIR,
  spawnInNetns,
  withNetns,
} from "./netns/index.js";
