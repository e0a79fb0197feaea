export type { ControlPlaneServerErrorCode, ControlPlaneServerOptions } from "./grpc-server.js";
export { ControlPlaneServer, ControlPlaneServerError } from "./grpc-server.js";
