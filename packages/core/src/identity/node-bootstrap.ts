/**
 * A proxy's bootstrap (ztunnel, waypoint): the local runtime writes the control plane's root
 * bundle and the node's token while the proxy may already be up, so the proxy waits for both
 * files, then for a root bundle that parses, and reads the token live from then on.
 */
import type { Logger } from "../logger.js";
import { waitForRootCert } from "./root-cert.js";
import { waitForFiles, watchedFileText } from "./watched-file-text.js";

export interface NodeBootstrapFiles {
  readonly rootCertPath: string;
  readonly tokenFile: string;
}

export interface NodeBootstrap {
  /** The control plane's roots (PEM), parsed once. */
  readonly rootsPem: string;
  /** The node token, re-read when the file changes ({@link watchedFileText}). */
  readonly token: () => string | undefined;
}

/**
 * Wait for the bootstrap files (one info line says which are missing, one warn line why the root
 * bundle does not parse yet); undefined when `stopped()` turned true first.
 */
export async function waitForNodeBootstrap(
  files: NodeBootstrapFiles,
  stopped: () => boolean,
  log: Pick<Logger, "info" | "warn">,
  intervalMs = 200,
): Promise<NodeBootstrap | undefined> {
  const found = await waitForFiles(
    [files.rootCertPath, files.tokenFile],
    stopped,
    (missing) => log.info("waiting for bootstrap files", { missing }),
    intervalMs,
  );
  if (!found) return undefined;
  const rootsPem = await waitForRootCert(
    files.rootCertPath,
    stopped,
    (reason) => log.warn("root certificate not usable yet; retrying", { path: files.rootCertPath, reason }),
    intervalMs,
  );
  if (rootsPem === undefined) return undefined;
  return { rootsPem, token: watchedFileText(files.tokenFile) };
}
