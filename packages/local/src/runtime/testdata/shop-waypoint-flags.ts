// Test-only: the expected waypoint command line shared by the unit and namespaced runtime tests.

/**
 * The flags the waypoint process contract requires local mode to pass for Gateway shop/waypoint
 * scheduled on node-2, with the control plane at 10.250.0.2:15012 (both tests' layouts).
 */
export const shopWaypointFlags = (stateDir: string, podIp: string): string[] => [
  ...["--name", "waypoint", "--namespace", "shop", "--node", "node-2", "--state-dir", stateDir],
  ...["--xds-address", "10.250.0.2:15012", "--pod-name", "waypoint-waypoint", "--pod-ip", podIp],
];
