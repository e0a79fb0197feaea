export type {
  AuthorizationDecision,
  AuthorizationRequest,
  DryRunResult,
} from "./evaluate-authorization.js";
export { evaluateAuthorization, policyMatches, stringMatches } from "./evaluate-authorization.js";
