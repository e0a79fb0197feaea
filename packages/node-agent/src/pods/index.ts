export type { NodeAgentOptions, NodeAgentStatus, PodStatus } from "./node-agent.js";
export { NodeAgent } from "./node-agent.js";
export type { PodEntry, PodStep } from "./pod-plan.js";
export {
  ANNOTATION_BYPASS_INBOUND,
  ANNOTATION_DNS_CAPTURE,
  isEnrolled,
  planPod,
  rulesConfigFor,
  wantsEnrolment,
} from "./pod-plan.js";
export type { PodsFileErrorCode } from "./pods-file.js";
export { PodsFileError, parsePodsFile, readPodsFile, watchPodsFile } from "./pods-file.js";
