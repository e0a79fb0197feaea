export { assertNever, CodedError, errnoCode, errorMessage } from "./errors.js";
export type { Logger, LogLevel, LogSink } from "./logger.js";
export { createLogger, setLogBase, setLogLevel, setLogSink, setTracers } from "./logger.js";
