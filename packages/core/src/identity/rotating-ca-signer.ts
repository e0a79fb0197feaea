/**
 * A {@link CertificateSigner} that follows node-token rotation: every request reads the current
 * token and a changed token gets a new {@link CaClient} (and gRPC channel), so a token rewritten
 * by the local runtime is used without restarting the proxy.
 */
import type { Identity } from "@ambit/api";
import { CaClient, type CertificateSigner } from "./ca-client.js";

export interface RotatingSignerOptions {
  /** CA `host:port`. */
  readonly address: string;
  /** Roots of the control plane's serving certificate. */
  readonly rootsPem: string;
  /** Node the token belongs to (`x-ambit-node`). */
  readonly node: string;
  /** Current token (e.g. {@link watchedFileText} of the token file); undefined sends an empty one. */
  readonly token: () => string | undefined;
  readonly serverName?: string;
  readonly timeoutMs?: number;
}

/** The signer plus `close()` for the channel it currently holds. */
export interface RotatingSigner extends CertificateSigner {
  close(): void;
}

export function createRotatingSigner(opts: RotatingSignerOptions): RotatingSigner {
  let current: { token: string; client: CaClient } | undefined;
  return {
    sign(identity: Identity, csrPem: string, ttlSeconds: number) {
      const t = opts.token() ?? "";
      if (current?.token !== t) {
        current?.client.close();
        current = {
          token: t,
          client: new CaClient({
            address: opts.address,
            rootsPem: opts.rootsPem,
            node: opts.node,
            token: t,
            ...(opts.serverName !== undefined ? { serverName: opts.serverName } : {}),
            ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
          }),
        };
      }
      return current.client.sign(identity, csrPem, ttlSeconds);
    },
    close() {
      current?.client.close();
      current = undefined;
    },
  };
}
