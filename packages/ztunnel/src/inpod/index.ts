export type { InpodWorkloadStatus } from "./inpod-workloads.js";
export { InpodWorkloads } from "./inpod-workloads.js";
export type { InpodPod, PodProxyFactory, PodProxyHandle } from "./pod-proxy-factory.js";
export type { ZdsClientOptions } from "./zds-client.js";
export { ZdsClient } from "./zds-client.js";
