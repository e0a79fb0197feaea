import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Writes a node credential into `stateDir` the way the local runtime does: the hashed record the
 * control plane checks (`node-credentials/<node>.json`) and the token the node's components send
 * (`nodes/<node>/node-token`). For tests of apps, which may not import the local runtime.
 */
export async function writeTestNodeToken(stateDir: string, node: string): Promise<void> {
  const token = randomBytes(32).toString("base64url");
  await mkdir(join(stateDir, "node-credentials"), { recursive: true, mode: 0o700 });
  await mkdir(join(stateDir, "nodes", node), { recursive: true });
  const record = {
    version: 1,
    node,
    tokenSha256: createHash("sha256").update(token).digest("hex"),
    createdAt: "",
  };
  await writeFile(join(stateDir, "node-credentials", `${node}.json`), JSON.stringify(record), {
    mode: 0o600,
  });
  await writeFile(join(stateDir, "nodes", node, "node-token"), `${token}\n`, { mode: 0o600 });
}
