import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BenchPath } from "./paths/bench-path.js";

/**
 * Installs the bench's Debian packages through the project's one setup script (idempotent; it
 * does nothing when all are present). Returns its failure text instead of throwing: a path whose
 * tools are still missing afterwards is skipped loudly, the others still run.
 */
export function installBenchPackages(repoRoot: string): string | undefined {
  const r = spawnSync("bash", [join(repoRoot, "scripts", "setup-system.sh"), "--bench"], {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 600_000,
  });
  if (r.status === 0) return undefined;
  return `scripts/setup-system.sh --bench exited with ${r.status ?? r.signal}`;
}

/** True when `bin` is an absolute existing file or found on PATH. */
export function haveBin(bin: string): boolean {
  if (bin.startsWith("/")) return existsSync(bin);
  return (process.env["PATH"] ?? "").split(":").some((d) => d !== "" && existsSync(join(d, bin)));
}

/** The `needs` of a path that are missing here, as "bin (package pkg)". */
export function missingNeeds(
  path: Pick<BenchPath, "needs">,
  have: (bin: string) => boolean = haveBin,
): string[] {
  return path.needs.filter((n) => !have(n.bin)).map((n) => `${n.bin} (Debian package ${n.pkg})`);
}

/** Tools the harness itself needs whatever the paths: without them nothing can be measured. */
export const CORE_NEEDS = [
  { bin: "ip", pkg: "iproute2" },
  { bin: "ss", pkg: "iproute2" },
  { bin: "iperf3", pkg: "iperf3" },
  { bin: "nginx", pkg: "nginx" },
  { bin: "openssl", pkg: "openssl" },
] as const;
