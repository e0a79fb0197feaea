import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { run } from "@ambit/testing";
import { BenchPorts } from "../bench-ports.js";
import type { BenchPath, PathContext, UpstreamName } from "./bench-path.js";
import { clientPort, hostPort, nodeATargets, upstream } from "./upstreams.js";

const NAMES: readonly UpstreamName[] = ["http", "iperf"];

/** Go build cache outside the repo; the build is offline (stdlib only, no module downloads). */
export const GO_ENV = {
  GOFLAGS: "-mod=mod",
  GOPROXY: "off",
  GOCACHE: "/tmp/ambit-bench-gocache",
  GOPATH: "/tmp/ambit-bench-gopath",
  CGO_ENABLED: "0",
};

/**
 * Builds bench/peers/go-hbone once per source version: the binary is cached under GOCACHE by the
 * hash of its sources, because linking alone takes seconds on a busy 2-core machine.
 */
export async function buildGoHbone(ctx: Pick<PathContext, "repoRoot">): Promise<string> {
  const src = join(ctx.repoRoot, "bench", "peers", "go-hbone");
  const hash = createHash("sha256");
  for (const f of readdirSync(src).sort()) hash.update(f).update(readFileSync(join(src, f)));
  const out = join(GO_ENV.GOCACHE, `go-hbone-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(out)) return out;
  mkdirSync(GO_ENV.GOCACHE, { recursive: true });
  // `go -C` is Go ≥ 1.20; Debian 12 has 1.19, so build through a shell `cd`.
  const argv = ["sh", src, ...goEnvArgs(), "go", "build", "-o", `${out}.tmp`, "."];
  await run("sh", ["-c", 'cd "$1" && shift && exec env "$@"', ...argv], { timeoutMs: 180_000 });
  renameSync(`${out}.tmp`, out);
  return out;
}

function goEnvArgs(): string[] {
  return Object.entries(GO_ENV).map(([k, v]) => `${k}=${v}`);
}

/** The Go-stdlib HBONE pair: an independent HTTP/2 CONNECT implementation (net/http's bundled h2). */
export const benchPath: BenchPath = {
  name: "go-hbone",
  kind: "peer",
  description: "Go stdlib HBONE pair (bench/peers/go-hbone): TCP → HTTP/2 CONNECT over mTLS (pooled) → TCP",
  needs: [{ bin: "go", pkg: "golang-go" }],
  async setup(ctx) {
    const { topo, pki } = ctx;
    const bin = await buildGoHbone(ctx);
    const tls = (cert: string, key: string): string[] => ["-cert", cert, "-key", key, "-ca", pki.caCert];
    const b = ctx.spawn(
      topo.nodeB.ns,
      [
        bin,
        "server",
        "-listen",
        `${topo.nodeB.ip}:${BenchPorts.tunnel}`,
        ...tls(pki.serverCert, pki.serverKey),
      ],
      { label: "go-hbone (node B)", side: "node-b" },
    );
    await ctx.waitForListen(topo.nodeB.ns, BenchPorts.tunnel, b);
    const maps = NAMES.flatMap((n) => [
      "-map",
      `${topo.nodeA.ip}:${clientPort(n)}=${hostPort(upstream(ctx, n))}`,
    ]);
    const a = ctx.spawn(
      topo.nodeA.ns,
      [
        bin,
        "client",
        "-peer",
        `${topo.nodeB.ip}:${BenchPorts.tunnel}`,
        "-sni",
        pki.serverName,
        ...tls(pki.clientCert, pki.clientKey),
        ...maps,
      ],
      { label: "go-hbone (node A)", side: "node-a" },
    );
    for (const n of NAMES) await ctx.waitForListen(topo.nodeA.ns, clientPort(n), a);
    return { targets: nodeATargets(ctx), procs: [a, b] };
  },
  async teardown() {},
};
