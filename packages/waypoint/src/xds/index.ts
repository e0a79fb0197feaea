export type {
  AppliedWaypointConfig,
  ConvertedWaypointConfig,
  WaypointConfigRejection,
  WaypointConfigUpdaterOptions,
} from "./waypoint-config-updater.js";
export { convertWaypointResource, WaypointConfigUpdater } from "./waypoint-config-updater.js";
export type { WaypointNodeInfo } from "./waypoint-node.js";
export {
  buildWaypointNode,
  WAYPOINT_TYPE_URL,
  waypointNodeId,
  waypointResourceName,
} from "./waypoint-node.js";
export type { WaypointXdsClientOptions } from "./waypoint-xds-client.js";
export { WaypointXdsClient } from "./waypoint-xds-client.js";
