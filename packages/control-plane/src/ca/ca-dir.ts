/**
 * Operator CA input from the command line: a directory in Istio's `cacerts` layout (what istiod
 * mounts as `/etc/cacerts`) and an optional file of extra trust roots. Both are checked here so a
 * wrong path fails at start with the missing file's name, not later with a bare ENOENT.
 */
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "@ambit/core";
import { CaError } from "./ca-error.js";
import type { CaFiles } from "./ca-material.js";
import { splitPemCertificates } from "./x509-setup.js";

/** File names inside a `cacerts` directory (Istio's plugged-in CA names). */
export const CA_DIR_FILES = {
  cert: "ca-cert.pem",
  key: "ca-key.pem",
  roots: "root-cert.pem",
  chain: "cert-chain.pem",
} as const;

/**
 * Resolve `dir` to the CA's files: `ca-cert.pem`, `ca-key.pem` and `root-cert.pem` are required,
 * `cert-chain.pem` is used when present. Throws `bad_ca_material` naming every missing file.
 */
export function caFilesInDir(dir: string): CaFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CaError("bad_ca_material", `--ca-dir ${dir}: not a directory`);
  }
  const required = [CA_DIR_FILES.cert, CA_DIR_FILES.key, CA_DIR_FILES.roots];
  const missing = required.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new CaError(
      "bad_ca_material",
      `--ca-dir ${dir}: missing ${missing.join(", ")} (want ${required.join(", ")} and optionally ${CA_DIR_FILES.chain})`,
    );
  }
  const chainFile = join(dir, CA_DIR_FILES.chain);
  return {
    certFile: join(dir, CA_DIR_FILES.cert),
    keyFile: join(dir, CA_DIR_FILES.key),
    rootsFile: join(dir, CA_DIR_FILES.roots),
    ...(existsSync(chainFile) ? { chainFile } : {}),
  };
}

/** Read a PEM bundle of extra roots; an unreadable file or one without certificates is an error. */
export async function readAdditionalRoots(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new CaError("bad_ca_material", `--additional-roots ${file}: ${errorMessage(e)}`, { cause: e });
  }
  if (splitPemCertificates(text).length === 0) {
    throw new CaError("bad_ca_material", `--additional-roots ${file}: no PEM certificate in the file`);
  }
  return text;
}
