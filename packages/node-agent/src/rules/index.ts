export type { InpodRulesConfig, InpodRuleset, NftChain, NftRule, NftTable } from "./inpod-ruleset.js";
export {
  buildInpodRuleset,
  DEFAULT_INPOD_RULES_CONFIG,
  FINGERPRINT_PREFIX,
  INPOD_TABLES,
} from "./inpod-ruleset.js";
export type { ObservedChain, ObservedNft } from "./installed-check.js";
export { diffInstalled, noneInstalled, parseNftRuleset } from "./installed-check.js";
export { renderApplyScript, renderRemoveScript, renderTable } from "./nft-script.js";
export type { IpFamilyFlag, PolicyRoutingObserved, PolicyRoutingPlan } from "./policy-routing.js";
export { buildPolicyRouting, INPOD_RULE_PREF, observePolicyRouting } from "./policy-routing.js";
export type { RulesErrorCode } from "./rules-error.js";
export { RulesError } from "./rules-error.js";
