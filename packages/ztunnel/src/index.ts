/** Placeholder until this package's issue lands; see ARCHITECTURE.md. */
export const PACKAGE = "@ambit/ztunnel";
export type {
  InpodPod,
  InpodWorkloadStatus,
  PodProxyFactory,
  PodProxyHandle,
  ZdsClientOptions,
} from "./inpod/index.js";
export { InpodWorkloads, ZdsClient } from "./inpod/index.js";
