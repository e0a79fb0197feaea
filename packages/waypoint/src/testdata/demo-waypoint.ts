// Test-only fixtures for the demo/waypoint Gateway shared by the app, process and xDS tests
// (excluded from the build).
import * as pb from "@ambit/api/pb";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import type { WaypointProcessConfig } from "../app.js";

type ConfigInit = MessageInitShape<typeof pb.waypoint.WaypointConfigSchema>;
type ListenerInit = NonNullable<ConfigInit["listeners"]>[number];

/**
 * The packed WaypointConfig of demo/waypoint with one listener for reviews.demo (10.96.0.10):
 * `listener` adds to that listener (ports, routes), `extra` to the config (or replaces fields).
 */
export function demoWaypointConfig(extra: Partial<ConfigInit> = {}, listener: Partial<ListenerInit> = {}): Any {
  return anyPack(
    pb.waypoint.WaypointConfigSchema,
    create(pb.waypoint.WaypointConfigSchema, {
      namespace: "demo",
      name: "waypoint",
      trustDomain: "cluster.local",
      listeners: [
        {
          hostname: "reviews.demo.svc.cluster.local",
          namespace: "demo",
          name: "reviews",
          addresses: ["10.96.0.10"],
          ...listener,
        },
      ],
      ...extra,
    } as ConfigInit),
  );
}

/** What differs between in-process waypoints of the tests: where xDS, CA, root and token are. */
export type DemoWaypointWiring = Pick<
  WaypointProcessConfig,
  "xdsAddress" | "caAddress" | "rootCertPath" | "tokenFile" | "podIp"
> &
  Partial<WaypointProcessConfig>;

/** startWaypoint config for demo/waypoint on node-1 with every port on loopback, picked by the OS. */
export function demoWaypointProcessConfig(wiring: DemoWaypointWiring): WaypointProcessConfig {
  return {
    name: "waypoint",
    namespace: "demo",
    node: "node-1",
    trustDomain: "cluster.local",
    clusterId: "Kubernetes",
    podName: "waypoint-waypoint",
    hbone: { host: "127.0.0.1", port: 0 },
    admin: { host: "127.0.0.1", port: 0 },
    metrics: { host: "127.0.0.1", port: 0 },
    readiness: { host: "127.0.0.1", port: 0 },
    ...wiring,
  };
}
