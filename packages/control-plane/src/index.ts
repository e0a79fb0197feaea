/** Placeholder until this package's issue lands; see ARCHITECTURE.md. */
export const PACKAGE = "@ambit/control-plane";
export type { ControlPlaneServerErrorCode, ControlPlaneServerOptions } from "./server/index.js";
export { ControlPlaneServer, ControlPlaneServerError } from "./server/index.js";
export type {
  ServiceRegistry,
  XdsAuthenticator,
  XdsServerOptions,
  XdsServerStatus,
  XdsSnapshotResources,
  XdsStreamStatus,
  XdsTypeStatus,
} from "./xds-server/index.js";
export { XdsServer } from "./xds-server/index.js";
