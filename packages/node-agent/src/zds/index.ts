export { ZdsConnection } from "./zds-connection.js";
export type { ZdsOutcome, ZdsPod, ZdsServerOptions } from "./zds-server.js";
export { ZdsServer } from "./zds-server.js";
export type { ZdsServerErrorCode } from "./zds-server-error.js";
export { ZdsServerError } from "./zds-server-error.js";
