/**
 * Local-mode {@link NodeAuthenticator}: `authorization: Bearer <token>` + `x-ambit-node: <node>`
 * checked against the hashed record of that node. Records are re-read when their file changes
 * (one `stat` per call, no watcher to leak), so creating or removing a node takes effect on the
 * next call without restarting the control plane.
 */
import { timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { NODE_AUTHORIZATION_HEADER, NODE_NAME_HEADER } from "@ambit/api";
import type { Metadata } from "@grpc/grpc-js";
import { AuthError } from "./auth-error.js";
import type { NodeAuthenticator, NodeCaller } from "./node-authenticator.js";
import {
  assertNodeName,
  hashToken,
  type NodeCredentialRecord,
  nodeCredentialPath,
  parseNodeCredentialRecord,
} from "./node-credential-store.js";

interface CacheEntry {
  readonly key: string;
  readonly record: NodeCredentialRecord | undefined;
}

function single(md: Metadata, key: string): string | undefined {
  const values = md.get(key);
  if (values.length === 0) return undefined;
  if (values.length > 1)
    throw new AuthError("malformed_credentials", `authentication: repeated ${key} metadata`);
  const v = values[0];
  if (typeof v !== "string")
    throw new AuthError("malformed_credentials", `authentication: binary ${key} metadata`);
  return v;
}

/** Authenticates nodes from `<stateDir>/node-credentials/*.json`. */
export class LocalNodeAuthenticator implements NodeAuthenticator {
  readonly #stateDir: string;
  readonly #cache = new Map<string, CacheEntry>();

  constructor(stateDir: string) {
    this.#stateDir = stateDir;
  }

  authenticate(metadata: Metadata): NodeCaller {
    const authz = single(metadata, NODE_AUTHORIZATION_HEADER);
    const node = single(metadata, NODE_NAME_HEADER);
    if (authz === undefined || node === undefined) {
      throw new AuthError(
        "missing_credentials",
        `authentication: ${NODE_AUTHORIZATION_HEADER} and ${NODE_NAME_HEADER} metadata are required`,
      );
    }
    const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(authz);
    if (!m) throw new AuthError("malformed_credentials", "authentication: expected 'Bearer <token>'");
    try {
      assertNodeName(node);
    } catch (e) {
      throw new AuthError(
        "malformed_credentials",
        `authentication: invalid node name ${JSON.stringify(node)}`,
        {
          cause: e,
        },
      );
    }
    const record = this.#record(node);
    if (!record) throw new AuthError("unknown_node", `authentication: no credential for node ${node}`);
    const got = Buffer.from(hashToken(m[1] as string), "hex");
    const want = Buffer.from(record.tokenSha256, "hex");
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new AuthError("invalid_token", `authentication: token does not match node ${node}`);
    }
    return { node, method: "bootstrap-token" };
  }

  #record(node: string): NodeCredentialRecord | undefined {
    const path = nodeCredentialPath(this.#stateDir, node);
    let key: string;
    try {
      const st = statSync(path);
      key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      this.#cache.delete(node);
      return undefined;
    }
    const hit = this.#cache.get(node);
    if (hit && hit.key === key) return hit.record;
    let record: NodeCredentialRecord | undefined;
    try {
      record = parseNodeCredentialRecord(readFileSync(path, "utf8"), node);
    } catch {
      record = undefined;
    }
    this.#cache.set(node, { key, record });
    return record;
  }
}

/** The local-mode authenticator over a control-plane state directory. */
export function createLocalNodeAuthenticator(stateDir: string): LocalNodeAuthenticator {
  return new LocalNodeAuthenticator(stateDir);
}
