import { CodedError } from "@ambit/core";

/** Why a WaypointConfig was rejected (the xDS client NACKs it and keeps the previous state). */
export type ConfigErrorCode = "invalid_regex" | "invalid_config" | "jwks_unreadable";

export class ConfigError extends CodedError<ConfigErrorCode> {}
