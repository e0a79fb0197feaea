export type { AddressValue, Converted } from "./convert-address.js";
export { addressFromPb, serviceFromPb, workloadFromPb } from "./convert-address.js";
export { policyFromPb } from "./convert-authorization.js";
export { StateUpdater } from "./state-updater.js";
export type { ZtunnelXdsClientOptions } from "./ztunnel-xds-client.js";
export { ZtunnelXdsClient } from "./ztunnel-xds-client.js";
