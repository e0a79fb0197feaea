/**
 * The control plane's root bundle as a proxy reads it at boot: the file may exist before its
 * writer finished, and a half-written bundle would make every TLS call to the control plane fail
 * until a restart. So it is re-read until the first certificate in it parses.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { errorMessage } from "../errors.js";

/**
 * The PEM text of `path` once it parses (polling every `intervalMs`); undefined when `stopped()`
 * turned true first. `onRetry` is told the first parse error (for one log line).
 */
export async function waitForRootCert(
  path: string,
  stopped: () => boolean,
  onRetry?: (reason: string) => void,
  intervalMs = 200,
): Promise<string | undefined> {
  let told = false;
  for (;;) {
    let reason: string;
    try {
      const pem = readFileSync(path, "utf8");
      new X509Certificate(pem);
      return pem;
    } catch (e) {
      reason = errorMessage(e);
    }
    if (!told) onRetry?.(reason);
    told = true;
    if (stopped()) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
