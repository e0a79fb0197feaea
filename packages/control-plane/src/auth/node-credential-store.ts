/**
 * Per-node bootstrap credentials for local mode. When the local runtime creates a node it calls
 * {@link createNodeCredential}: a random 256-bit token is returned once (to hand to that node's
 * ztunnel) and only its SHA-256 is kept, in `<stateDir>/node-credentials/<node>.json` (mode 0600,
 * directory 0700). A leaked state directory therefore does not leak usable tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AuthError } from "./auth-error.js";

/** What is stored per node. */
export interface NodeCredentialRecord {
  readonly version: 1;
  readonly node: string;
  /** Hex SHA-256 of the UTF-8 token. */
  readonly tokenSha256: string;
  readonly createdAt: string;
}

/** Returned once to the node's creator; the token is not recoverable afterwards. */
export interface NodeCredential {
  readonly node: string;
  readonly token: string;
}

// Node names become file names: DNS-1123 subdomain only, so no path tricks are possible.
const NODE_NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Throws `invalid_node_name` unless `node` is a DNS-1123 subdomain. */
export function assertNodeName(node: string): void {
  if (!NODE_NAME_RE.test(node) || node.includes("..")) {
    throw new AuthError("invalid_node_name", `node credential: invalid node name ${JSON.stringify(node)}`);
  }
}

/** Directory holding the hashed credentials. */
export function nodeCredentialDir(stateDir: string): string {
  return join(stateDir, "node-credentials");
}

/** File of one node's record. */
export function nodeCredentialPath(stateDir: string, node: string): string {
  assertNodeName(node);
  return join(nodeCredentialDir(stateDir), `${node}.json`);
}

/** SHA-256 hex of a token (the only form ever stored). */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Create (or replace: re-creating a node rotates its token) the credential of `node`. The file is
 * written to a temporary name and renamed, so authenticators never read a half-written record.
 */
export async function createNodeCredential(stateDir: string, node: string): Promise<NodeCredential> {
  const path = nodeCredentialPath(stateDir, node);
  const token = randomBytes(32).toString("base64url");
  const record: NodeCredentialRecord = {
    version: 1,
    node,
    tokenSha256: hashToken(token),
    createdAt: new Date().toISOString(),
  };
  try {
    const dir = nodeCredentialDir(stateDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  } catch (e) {
    throw new AuthError("credential_store", `node credential: cannot write ${path}`, { cause: e });
  }
  return { node, token };
}

/** Remove a node's credential (idempotent): its ztunnel is rejected from the next call on. */
export async function removeNodeCredential(stateDir: string, node: string): Promise<void> {
  await rm(nodeCredentialPath(stateDir, node), { force: true });
}

/** Validate a parsed record file; `undefined` if it is not a well-formed record for `node`. */
export function parseNodeCredentialRecord(text: string, node: string): NodeCredentialRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (r["version"] !== 1 || r["node"] !== node) return undefined;
  if (typeof r["tokenSha256"] !== "string" || !/^[0-9a-f]{64}$/.test(r["tokenSha256"])) return undefined;
  return {
    version: 1,
    node,
    tokenSha256: r["tokenSha256"],
    createdAt: typeof r["createdAt"] === "string" ? r["createdAt"] : "",
  };
}
