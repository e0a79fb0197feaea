export type {
  ExecResult,
  InstalledState,
  NetnsErrorCode,
  NetnsExec,
  ReconcileOutcome,
} from "./netns/index.js";
export { createLinuxNetnsExec, FakeNetnsExec, InpodRedirector, NetnsError } from "./netns/index.js";
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
