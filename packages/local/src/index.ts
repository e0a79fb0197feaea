export type { NetnsHttpResult, ProbeResult, ProbeTarget } from "./cluster/probe.js";
export { httpGetInNetns, probeInNetns } from "./cluster/probe.js";
export type { UnixHttpResult } from "./cluster/unix-http.js";
export { unixGet, unixGetJson } from "./cluster/unix-http.js";
export { assertCanRun, REQUIRED_TOOLS, run, runInNetns, spawnInNetns, which } from "./exec/run.js";
export type { LocalErrorCode } from "./local-error.js";
export { LocalError } from "./local-error.js";
export type {
  AppliedObject,
  ContainerSpec,
  DeploymentObject,
  ManifestObject,
  NamespaceObject,
  PodObject,
  ServiceObject,
} from "./manifest/manifest-types.js";
export { objectKey, PASSTHROUGH_KINDS } from "./manifest/manifest-types.js";
export { loadManifests, objectFromDocument, parseManifestText } from "./manifest/parse-manifests.js";
export type { ClusterLayout, NodeLayout } from "./plan/cluster-layout.js";
export { clusterLayout, clusterPrefix, podHostVeth, podNetnsName } from "./plan/cluster-layout.js";
export type { DesiredPod, PodPlan, PodRecord } from "./plan/pod-plan.js";
export { desiredPods, planPods } from "./plan/pod-plan.js";
export type { Endpoint, ServiceRecord } from "./plan/service-plan.js";
export { planServices, serviceEndpoints } from "./plan/service-plan.js";
export type { WaypointExpansion, WaypointSpec } from "./plan/waypoint-plan.js";
export {
  desiredWaypoints,
  expandWaypoints,
  GATEWAY_NAME_LABEL,
  USE_WAYPOINT_LABEL,
  WAYPOINT_FOR_LABEL,
  WAYPOINT_GATEWAY_CLASS,
  waypointPodName,
} from "./plan/waypoint-plan.js";
export { renderServiceRules, SERVICE_TABLE } from "./render/kube-proxy-rules.js";
export { renderPodHosts, renderPodResolvConf } from "./render/pod-etc-files.js";
export type { ComponentApp, ComponentMain } from "./runtime/components.js";
export { resolveComponentMain } from "./runtime/components.js";
export { callDaemon, ensureDaemon, liveDaemon } from "./runtime/daemon-client.js";
export type { ApplyRequest, DaemonEvent, DeleteRequest, UpRequest } from "./runtime/daemon-protocol.js";
export { runDaemon } from "./runtime/daemon-server.js";
export type { LocalRuntimeOptions, Progress } from "./runtime/local-runtime.js";
export { LocalRuntime } from "./runtime/local-runtime.js";
export { nodeTokenPath, writeNodeCredential } from "./runtime/node-credentials.js";
export { findPod, readPods } from "./runtime/pod-lookup.js";
export {
  containerEnv,
  containerLogName,
  podLogName,
  podProcessName,
  waypointProcessName,
} from "./runtime/pod-processes.js";
export { configFileName } from "./runtime/publish.js";
export type { ClusterInfo, DesiredEntry, StatePaths } from "./runtime/state-dir.js";
export { defaultStateDir, statePaths } from "./runtime/state-dir.js";
export type { ClusterStatus, ComponentStatus, PodStatus, WaypointPodStatus } from "./runtime/status.js";
export type { TeardownReport } from "./runtime/teardown.js";
export { teardownCluster } from "./runtime/teardown.js";
export type { BackoffPolicy, ProcessSpec, ProcessStatus } from "./supervisor/supervisor.js";
export { DEFAULT_BACKOFF, Supervisor } from "./supervisor/supervisor.js";
