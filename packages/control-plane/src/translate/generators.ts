import type { ConfigSnapshot } from "../model/snapshot.js";
import type { XdsGenerator } from "../model/xds-generator.js";
import { ADDRESS_TYPE_URL, addressGenerator } from "./address-generator.js";
import { AUTHORIZATION_TYPE_URL, authorizationGenerator } from "./authorization-generator.js";

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
]);
