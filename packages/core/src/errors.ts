/**
 * Error conventions shared by every module: each module declares one error class with a closed
 * set of lower_snake codes (`class XdsError extends CodedError<XdsErrorCode>`), messages read
 * `"<what failed>: <detail>"`, and mapping to HTTP/gRPC statuses and access-log reasons happens
 * in one place per protocol edge. Never throw bare strings.
 */
export abstract class CodedError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Node's errno-style code of an unknown thrown value, if any (`ECONNREFUSED`, …). */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e) {
    const code = (e as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Message of any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Exhaustiveness check for `switch` over tagged unions. */
export function assertNever(x: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
