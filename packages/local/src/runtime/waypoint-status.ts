import type { PodRecord } from "../plan/pod-plan.js";
import type { ServiceRecord } from "../plan/service-plan.js";
import type { ComponentInstance, ComponentStatus } from "./component-processes.js";

/** A waypoint as the local runtime sees it: its pod, Service VIP and process (the mesh view is the control plane's `/waypoints`). */
export interface WaypointPodStatus {
  /** The Gateway's name. */
  readonly name: string;
  readonly namespace: string;
  readonly pod: string;
  readonly node: string;
  readonly ip: string;
  /** VIP of the Service `<name>` ("" while it has none). */
  readonly vip: string;
  readonly netns: string;
  readonly process: string;
  readonly state: ComponentStatus["state"];
  readonly pid?: number;
  readonly restarts: number;
  /** `ready` when its readiness port :15021 answers 200 inside the pod netns. */
  readonly health: ComponentStatus["health"];
  readonly detail: string;
}

/**
 * The waypoints of the cluster as `ambit status` shows them: one per waypoint pod, with its
 * Service VIP and the health of its process (`probe`: the readiness endpoint :15021 inside the
 * pod netns, like ztunnel's).
 */
export async function waypointStatuses(
  pods: readonly PodRecord[],
  services: readonly ServiceRecord[],
  instances: readonly ComponentInstance[],
  probe: (c: ComponentInstance) => Promise<ComponentStatus>,
): Promise<WaypointPodStatus[]> {
  const health = await Promise.all(instances.map(probe));
  return pods.flatMap((p) => {
    const i = instances.findIndex((w) => w.netns === p.netns);
    const h = health[i];
    if (p.waypoint === undefined || h === undefined) return [];
    return [
      {
        name: p.waypoint,
        namespace: p.namespace,
        pod: p.name,
        node: p.node,
        ip: p.ip,
        vip: services.find((v) => v.key === `${p.namespace}/${p.waypoint}`)?.vip ?? "",
        netns: p.netns,
        process: h.name,
        state: h.state,
        ...(h.pid !== undefined ? { pid: h.pid } : {}),
        restarts: h.restarts,
        health: h.health,
        detail: h.detail,
      },
    ];
  });
}
