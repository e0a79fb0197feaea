export type { AgentArgs } from "./agent-args.js";
export { parseAgentArgs } from "./agent-args.js";
export type {
  ExecResult,
  InstalledState,
  NetnsErrorCode,
  NetnsExec,
  ReconcileOutcome,
} from "./netns/index.js";
export { createLinuxNetnsExec, FakeNetnsExec, InpodRedirector, NetnsError } from "./netns/index.js";
export type {
  NodeAgentOptions,
  NodeAgentStatus,
  PodEntry,
  PodStatus,
  PodStep,
  PodsFileErrorCode,
} from "./pods/index.js";
export { NodeAgent, PodsFileError, parsePodsFile, planPod, wantsEnrolment } from "./pods/index.js";
export type {
  InpodRulesConfig,
  InpodRuleset,
  NftChain,
  NftRule,
  NftTable,
  RulesErrorCode,
} from "./rules/index.js";
export {
  buildInpodRuleset,
  DEFAULT_INPOD_RULES_CONFIG,
  INPOD_TABLES,
  RulesError,
  renderApplyScript,
  renderRemoveScript,
} from "./rules/index.js";
export type { ZdsOutcome, ZdsPod, ZdsServerErrorCode, ZdsServerOptions } from "./zds/index.js";
export { ZdsServer, ZdsServerError } from "./zds/index.js";
