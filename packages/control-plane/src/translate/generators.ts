import type { ConfigSnapshot } from "../model/snapshot.js";
import type { XdsGenerator, XdsResource } from "../model/xds-generator.js";
import { ADDRESS_TYPE_URL, addressGenerator } from "./address-generator.js";
import { AUTHORIZATION_TYPE_URL, authorizationGenerator } from "./authorization-generator.js";
import { WAYPOINT_TYPE_URL, waypointGenerator } from "./waypoint-generator.js";

/**
 * The one registration table (istiod's `InitGenerators`): type URL → pure generator. The xDS
 * server looks generators up here; adding a type means adding one line.
 */
export const GENERATORS: ReadonlyMap<string, XdsGenerator<ConfigSnapshot>> = new Map<
  string,
  XdsGenerator<ConfigSnapshot>
>([
  [ADDRESS_TYPE_URL, addressGenerator],
  [AUTHORIZATION_TYPE_URL, authorizationGenerator],
  [WAYPOINT_TYPE_URL, waypointGenerator],
]);

/**
 * Run every registered generator on one snapshot: type URL → (name → resource), the shape the
 * xDS server publishes. Wiring: `builder.subscribe((s) => server.publish(generateResources(s)))`.
 */
export function generateResources(
  snapshot: ConfigSnapshot,
  generators: ReadonlyMap<string, XdsGenerator<ConfigSnapshot>> = GENERATORS,
): ReadonlyMap<string, ReadonlyMap<string, XdsResource>> {
  const out = new Map<string, ReadonlyMap<string, XdsResource>>();
  for (const [typeUrl, g] of generators) out.set(typeUrl, g.generate(snapshot));
  return out;
}
