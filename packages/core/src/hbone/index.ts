export type { Dialer, HboneConnectionOptions, HboneConnectionState } from "./client-connection.js";
export { defaultDialer, HboneConnection } from "./client-connection.js";
export type { HboneErrorCode } from "./hbone-error.js";
export { HboneError } from "./hbone-error.js";
export type { BaggageFields, ConnectHeaderInput } from "./headers.js";
export {
  connectHeaders,
  formatBaggage,
  formatForwarded,
  newTraceparent,
  parseBaggage,
  parseForwardedHost,
  parseTraceparent,
} from "./headers.js";
export type { KeepaliveOptions } from "./keepalive.js";
export { startKeepalive } from "./keepalive.js";
export type { PipeOutcome, PipeResult } from "./pipe.js";
export { abortSocket, FORWARD_HIGH_WATER, forward, pipeSocketStream } from "./pipe.js";
export type { HbonePoolKey, HbonePoolOptions, HboneStreamRequest, PooledConnectionInfo } from "./pool.js";
export { HbonePool, poolKeyString } from "./pool.js";
export type { HboneRequest, HboneServerContext, HboneServerOptions, HboneServerStats } from "./server.js";
export { HboneServer } from "./server.js";
export { HboneSettings } from "./settings.js";
