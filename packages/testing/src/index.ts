export type { EchoServer, EchoServerOptions, WhoAmI } from "./echo-server.js";
export { readWhoAmI, startEchoServer } from "./echo-server.js";
export type { AfterHook, FdLeakOptions } from "./leak-check.js";
export { assertNoLeakedFds, openFds, useLeakCheck, useServer, waitForNoConnections } from "./leak-check.js";
export type { MainProcess } from "./main-process.js";
export { killMains, logLine, REPO_ROOT, startMain, stopMain } from "./main-process.js";
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
  useNetns,
  withNetns,
} from "./netns/index.js";
export { writeTestNodeToken } from "./node-token.js";
export type { TestLeaf, TestLeafOptions, TestPki } from "./pki.js";
export { createTestPki, generateTestKeys, pemOf, privateKeyPem } from "./pki.js";
export type { TestCaAnswer, TestCaRequest, TestCaServer, TestCaServerOptions } from "./pki-ca-server.js";
export { startTestCaServer } from "./pki-ca-server.js";
export type { TestCsr, TestCsrKeyType, TestCsrOptions } from "./pki-csr.js";
export { createTestCsr } from "./pki-csr.js";
export { nodeInNetns, pidAlive } from "./processes.js";
export { useTempDirs } from "./temp-dirs.js";
export type { WaitForOptions } from "./wait-for.js";
export { waitFor } from "./wait-for.js";
