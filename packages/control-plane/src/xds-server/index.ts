export { PushThrottle } from "./push-throttle.js";
export type { XdsSnapshotResources } from "./snapshot-store.js";
export { PublishedSnapshot, SnapshotStore } from "./snapshot-store.js";
export type { PushPlan, SubscriptionRequest, TypeSubscription } from "./subscription.js";
export type { ServiceRegistry, XdsAuthenticator, XdsServerOptions } from "./xds-server.js";
export { XdsServer } from "./xds-server.js";
export type { XdsServerStatus, XdsStreamStatus, XdsTypeStatus } from "./xds-status.js";
