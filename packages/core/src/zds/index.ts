export type { ZdsDatagram, ZdsRequest, ZdsWorkloadInfo } from "./zds-codec.js";
export {
  decodeZdsAck,
  decodeZdsHello,
  decodeZdsRequest,
  encodeZdsAck,
  encodeZdsHello,
  encodeZdsRequest,
  nextZdsBackoff,
  ZDS_ACK_TIMEOUT_MS,
  ZDS_MAX_DATAGRAM,
  ZDS_RECONNECT_INITIAL_MS,
  ZDS_RECONNECT_MAX_MS,
  ZDS_RETRY_INTERVAL_MS,
} from "./zds-codec.js";
export type { ZdsErrorCode } from "./zds-error.js";
export { ZdsError } from "./zds-error.js";
