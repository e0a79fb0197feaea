import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Temp file created 0600 then renamed: the secret is never readable by others, even briefly. */
function writePrivate(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Where a node's ztunnel finds its bootstrap token (`ztunnel --token-file` default). */
export function nodeTokenPath(stateDir: string, node: string): string {
  return join(stateDir, "nodes", node, "node-token");
}

/**
 * Creates a node's bootstrap credential when the runtime starts its components (issue 3): a
 * random 256-bit token for the node's ztunnel in `nodes/<node>/node-token` (0600), and the record
 * the control plane's `LocalNodeAuthenticator` checks in `node-credentials/<node>.json` — only the
 * token's SHA-256, in the exact format of `@ambit/control-plane` `createNodeCredential` (apps may
 * not be imported here, so the format is the contract). Every start rotates the token; the
 * authenticator and ztunnel both re-read their file, so no restart is needed.
 */
export function writeNodeCredential(stateDir: string, node: string): void {
  const token = randomBytes(32).toString("base64url");
  const tokenFile = nodeTokenPath(stateDir, node);
  mkdirSync(join(stateDir, "nodes", node), { recursive: true });
  const credDir = join(stateDir, "node-credentials");
  mkdirSync(credDir, { recursive: true, mode: 0o700 });
  chmodSync(credDir, 0o700);
  const record = {
    version: 1,
    node,
    tokenSha256: createHash("sha256").update(token, "utf8").digest("hex"),
    createdAt: new Date().toISOString(),
  };
  writePrivate(join(credDir, `${node}.json`), `${JSON.stringify(record, null, 2)}\n`);
  writePrivate(tokenFile, `${token}\n`);
}
