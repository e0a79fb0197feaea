import { Ports } from "@ambit/api";
import type { ConfigSnapshot } from "../model/snapshot.js";
import type { GatewayObject } from "../sources/config-object.js";
import { isWaypointGateway, servedServices, waypointFor } from "../translate/waypoint-binding.js";
import { translateWaypoint } from "../translate/waypoint-generator.js";

/** A Gateway API status condition, as data (the status endpoint and the CLI print it). */
export interface GatewayCondition {
  readonly type: "Accepted" | "Programmed";
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

/** Status of one waypoint Gateway: conditions plus what it serves and which route rules were dropped. */
export interface WaypointStatus {
  readonly namespace: string;
  readonly name: string;
  readonly waypointFor: string;
  readonly services: readonly string[];
  readonly conditions: readonly GatewayCondition[];
  readonly droppedRules: readonly { route: string; message: string }[];
}

/**
 * Pure status of an `istio-waypoint` Gateway. Accepted: exactly Istio's shape — a listener on
 * 15008 with protocol HBONE (name `mesh` by convention). Programmed: `runtime` says whether a
 * waypoint process for it is running and has acknowledged its config; without that knowledge
 * the condition is Unknown/Pending (the controller that starts processes fills it in).
 */
export function waypointStatus(
  s: ConfigSnapshot,
  gw: GatewayObject,
  runtime?: { running: boolean; acked: boolean },
): WaypointStatus | undefined {
  if (!isWaypointGateway(gw)) return undefined;
  const hbone = gw.spec.listeners.find((l) => l.port === Ports.hbone && l.protocol === "HBONE");
  const accepted: GatewayCondition = hbone
    ? { type: "Accepted", status: "True", reason: "Accepted", message: "waypoint listener on 15008/HBONE" }
    : {
        type: "Accepted",
        status: "False",
        reason: "UnsupportedListeners",
        message: "a waypoint needs a listener with port 15008 and protocol HBONE",
      };
  const programmed: GatewayCondition = !hbone
    ? { type: "Programmed", status: "False", reason: "Invalid", message: "not accepted" }
    : runtime === undefined
      ? {
          type: "Programmed",
          status: "Unknown",
          reason: "Pending",
          message: "waypoint process state not known yet",
        }
      : runtime.running && runtime.acked
        ? {
            type: "Programmed",
            status: "True",
            reason: "Programmed",
            message: "waypoint running with current config",
          }
        : {
            type: "Programmed",
            status: "False",
            reason: runtime.running ? "Pending" : "NoResources",
            message: runtime.running
              ? "waypoint has not acknowledged its config"
              : "waypoint process not running",
          };
  const { problems } = translateWaypoint(s, gw);
  return {
    namespace: gw.metadata.namespace,
    name: gw.metadata.name,
    waypointFor: waypointFor(gw),
    services: servedServices(s, gw).map((svc) => `${svc.metadata.namespace}/${svc.metadata.name}`),
    conditions: [accepted, programmed],
    droppedRules: problems,
  };
}
