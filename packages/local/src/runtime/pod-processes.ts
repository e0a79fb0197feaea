import { isAbsolute, resolve } from "node:path";
import type { ContainerSpec } from "../manifest/manifest-types.js";
import type { PodRecord } from "../plan/pod-plan.js";
import type { BackoffPolicy, ProcessSpec } from "../supervisor/supervisor.js";
import type { StatePaths } from "./state-dir.js";

/** Supervisor name of a container process. */
export function containerProcessName(pod: Pick<PodRecord, "namespace" | "name">, container: string): string {
  return `pod:${pod.namespace}/${pod.name}/${container}`;
}

/** Supervisor and log name of a waypoint's process: `waypoint-<ns>-<gw>` (→ logs/<that>.log). */
export function waypointProcessName(namespace: string, gateway: string): string {
  return `waypoint-${namespace}-${gateway}`;
}

/** Supervisor name of the process behind a pod's container (a waypoint pod's one process is the waypoint). */
export function podProcessName(
  pod: Pick<PodRecord, "namespace" | "name" | "waypoint">,
  container: string,
): string {
  return pod.waypoint !== undefined
    ? waypointProcessName(pod.namespace, pod.waypoint)
    : containerProcessName(pod, container);
}

/** Log name of a pod's container (`ambit logs <pod>`): the waypoint's own log for a waypoint pod. */
export function podLogName(
  pod: Pick<PodRecord, "namespace" | "name" | "waypoint">,
  container: string,
): string {
  return pod.waypoint !== undefined
    ? waypointProcessName(pod.namespace, pod.waypoint)
    : containerLogName(pod, container);
}

/** Log component name of a container: `pod-<ns>-<pod>-<container>` (→ logs/<that>.log). */
export function containerLogName(pod: Pick<PodRecord, "namespace" | "name">, container: string): string {
  return `pod-${pod.namespace}-${pod.name}-${container}`;
}

/** Downward-API values local mode can fill in. */
function fieldValue(pod: PodRecord, path: string): string {
  switch (path) {
    case "metadata.name":
      return pod.name;
    case "metadata.namespace":
      return pod.namespace;
    case "metadata.uid":
      return pod.uid;
    case "status.podIP":
      return pod.ip;
    case "spec.nodeName":
      return pod.node;
    case "spec.serviceAccountName":
      return pod.serviceAccount;
    default:
      return "";
  }
}

/**
 * Environment of a container process: a minimal base (PATH, HOME), the pod facts every sample
 * relies on (POD_NAME, POD_NAMESPACE, POD_IP, NODE_NAME, SERVICE_ACCOUNT, HOSTNAME), then the
 * container's own `env` (literal values and downward-API `fieldRef`s), which wins.
 */
export function containerEnv(pod: PodRecord, c: ContainerSpec): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env["HOME"] ?? "/root",
    HOSTNAME: pod.name,
    POD_NAME: pod.name,
    POD_NAMESPACE: pod.namespace,
    POD_IP: pod.ip,
    POD_UID: pod.uid,
    NODE_NAME: pod.node,
    SERVICE_ACCOUNT: pod.serviceAccount,
  };
  for (const e of c.env)
    env[e.name] = e.value ?? (e.fieldPath !== undefined ? fieldValue(pod, e.fieldPath) : "");
  return env;
}

/**
 * Process specs of all containers of a pod: run inside the pod netns, restarted with backoff.
 * None for a waypoint's pod (the runtime starts the waypoint main there, see component-processes).
 */
export function podProcessSpecs(pod: PodRecord, paths: StatePaths, backoff?: BackoffPolicy): ProcessSpec[] {
  if (pod.waypoint !== undefined) return [];
  return pod.containers.map((c) => ({
    name: containerProcessName(pod, c.name),
    argv: [...c.command, ...c.args],
    netns: pod.netns,
    env: containerEnv(pod, c),
    cwd:
      c.workingDir === undefined
        ? pod.sourceDir
        : isAbsolute(c.workingDir)
          ? c.workingDir
          : resolve(pod.sourceDir, c.workingDir),
    logFile: paths.logFile(containerLogName(pod, c.name)),
    restart: "always",
    ...(backoff !== undefined ? { backoff } : {}),
  }));
}
