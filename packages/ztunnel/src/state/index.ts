export type { ProxyStateDump, WorkloadDump } from "./config-dump.js";
export { cidrContains, ipFromBytes, ipToBytes } from "./ip-bytes.js";
export type {
  AddressLookup,
  AddressUpdate,
  AuthorizationUpdate,
  Endpoint,
  ProxyStateView,
  StateChange,
  WorkloadPolicies,
} from "./proxy-state.js";
export { ProxyState } from "./proxy-state.js";
