import { nsName } from "../model/pod-facts.js";
import type { ConfigSnapshot } from "../model/snapshot.js";
import { type ConfigIssue, formatIssue } from "../status/config-issue.js";
import { translationIssues } from "./authorization-generator.js";
import { waypointAddressIssues } from "./waypoint-address.js";
import { isWaypointGateway } from "./waypoint-binding.js";
import { translateWaypoint } from "./waypoint-generator.js";

/**
 * Every translation warning of a snapshot, for the status endpoint: policy conversion
 * (authorization-generator), `use-waypoint` labels that bind nothing, and VirtualService /
 * RequestAuthentication parts a waypoint does not apply. A VirtualService seen by two waypoints
 * yields its warning once. Computed on demand; the generators stay single-purpose.
 */
export function allTranslationIssues(s: ConfigSnapshot): ConfigIssue[] {
  const out = [...translationIssues(s), ...waypointAddressIssues(s)];
  const seen = new Set<string>();
  const gateways = [...s.gateways.values()].filter(isWaypointGateway);
  gateways.sort((a, b) => (nsName(a) < nsName(b) ? -1 : nsName(a) > nsName(b) ? 1 : 0));
  for (const gw of gateways) {
    for (const issue of translateWaypoint(s, gw).issues) {
      const key = formatIssue(issue);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}
