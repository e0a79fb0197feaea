import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { DATAPLANE_MODE_LABEL, type NodePodsFile, Ports } from "@ambit/api";
import { writeNodeCredential } from "@ambit/local";
import type { TopologyHost } from "@ambit/testing";
import { BenchPorts } from "../bench-ports.js";
import type { BenchPath, PathContext } from "./bench-path.js";
import { upstream } from "./upstreams.js";

const NS = "bench";
const NODES = { a: "node-a", b: "node-b" } as const;

/**
 * True when some non-test source under packages/<pkg>/src is newer than its compiled
 * packages/<pkg>/dist/<same path>.js (tsc -b re-emits only what changed, so compare per file).
 */
function buildIsStale(repoRoot: string): boolean {
  const walk = (src: string, dist: string): boolean => {
    for (const e of readdirSync(src, { withFileTypes: true })) {
      const p = join(src, e.name);
      if (e.isDirectory()) {
        // testdata/ holds test fixtures, which the build leaves out.
        if (e.name !== "testdata" && walk(p, join(dist, e.name))) return true;
      } else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) {
        const out = join(dist, e.name.replace(/\.ts$/, ".js"));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) return true;
      }
    }
    return false;
  };
  const pkgs = join(repoRoot, "packages");
  return readdirSync(pkgs).some(
    (pkg) => existsSync(join(pkgs, pkg, "dist")) && walk(join(pkgs, pkg, "src"), join(pkgs, pkg, "dist")),
  );
}

/**
 * The app's built main when it is at least as new as every source (a stale build would benchmark
 * old code), else its source through tsx. Started by path, never imported: apps are separate
 * processes, as in a real deployment. Which one ran is printed, since tsx costs memory (it adds a
 * `name` property to every closure) and start-up time.
 */
function appArgv(ctx: Pick<PathContext, "repoRoot">, app: string): string[] {
  const dist = join(ctx.repoRoot, "packages", app, "dist", "main.js");
  if (existsSync(dist) && !buildIsStale(ctx.repoRoot)) {
    process.stderr.write(`[ambit-l4] ${app}: built main (${dist})\n`);
    return [process.execPath, dist];
  }
  process.stderr.write(
    `[ambit-l4] ${app}: sources through tsx (no build, or the build is older than the sources)\n`,
  );
  const src = join(ctx.repoRoot, "packages", app, "src", "main.ts");
  return [process.execPath, "--conditions=source", "--import", "tsx", src];
}

interface BenchPod {
  readonly name: string;
  readonly node: string;
  readonly host: TopologyHost;
  readonly uid: string;
  readonly ports: readonly number[];
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** The control plane's file source: the ambient namespace and both pods with status filled in. */
function writeConfig(dir: string, pods: readonly BenchPod[], nodeIp: (node: string) => string): void {
  mkdirSync(dir, { recursive: true });
  const docs: unknown[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS, labels: { [DATAPLANE_MODE_LABEL]: "ambient" } },
    },
    ...pods.map((p) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: p.name, namespace: NS, uid: p.uid, labels: { app: p.name } },
      spec: {
        serviceAccountName: p.name,
        nodeName: p.node,
        containers: [{ name: "main", ports: p.ports.map((containerPort) => ({ containerPort })) }],
      },
      status: { phase: "Running", podIP: p.host.ip, podIPs: [{ ip: p.host.ip }], hostIP: nodeIp(p.node) },
    })),
  ];
  docs.forEach((d, i) => {
    writeAtomic(join(dir, `bench-${i}.yaml`), JSON.stringify(d)); // JSON is YAML
  });
}

/** The node agent's pod list (local mode's stand-in for the pod informer). */
function writeNodePods(stateDir: string, node: string, generation: number, pods: readonly BenchPod[]): void {
  const file: NodePodsFile = {
    node,
    generation,
    pods: pods
      .filter((p) => p.node === node)
      .map((p) => ({
        uid: p.uid,
        name: p.name,
        namespace: NS,
        serviceAccount: p.name,
        labels: { app: p.name },
        annotations: {},
        namespaceLabels: { [DATAPLANE_MODE_LABEL]: "ambient" },
        netnsPath: p.host.path,
        ip: p.host.ip,
        phase: "Running",
      })),
  };
  mkdirSync(join(stateDir, "nodes", node), { recursive: true });
  writeAtomic(join(stateDir, "nodes", node, "pods.json"), JSON.stringify(file));
}

interface AgentStatus {
  readonly pods?: readonly { readonly uid: string; readonly enrolled: boolean; readonly rules: string }[];
}

function agentStatus(stateDir: string, node: string): AgentStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, "nodes", node, "node-agent-status.json"), "utf8"));
  } catch {
    return undefined;
  }
}

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`ambit-l4: timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stateDirOf = (ctx: Pick<PathContext, "workDir">) => join(ctx.workDir, "state");

/**
 * ambit's L4 data path, exactly as in local mode: the real control plane (xDS + CA), one ztunnel
 * and one node agent per node. The node agents enrol the client and server pods (in-pod redirect
 * rules + ZDS hand-off), so the client pod dials the server's real address and its ztunnel
 * captures it: client pod → ztunnel A (15001 in podA) → HBONE mTLS → ztunnel B (15008 in podB) →
 * server app from the client's IP. Access logs are off (`--log-level warn`) like the peers' logs.
 */
export const benchPath: BenchPath = {
  name: "ambit-l4",
  kind: "ambit",
  description:
    "ambit ztunnel on both nodes: in-pod capture (15001) → HBONE mTLS (pooled HTTP/2 CONNECT) → inbound 15008 → server pod; control plane + node agents not charged",
  needs: [{ bin: "nft", pkg: "nftables" }],
  async setup(ctx) {
    const { topo } = ctx;
    const stateDir = stateDirOf(ctx);
    const xds = `${topo.nodeA.ip}:${Ports.controlPlane}`;
    const ports = [BenchPorts.http, BenchPorts.iperf];
    const pods: BenchPod[] = [
      { name: "client", node: NODES.a, host: topo.podA, uid: randomUUID(), ports: [] },
      { name: "server", node: NODES.b, host: topo.podB, uid: randomUUID(), ports },
    ];
    const nodeIp = (n: string) => (n === NODES.a ? topo.nodeA.ip : topo.nodeB.ip);
    writeConfig(join(stateDir, "config"), pods, nodeIp);
    for (const n of Object.values(NODES)) writeNodeCredential(stateDir, n);

    // The control plane lives on node A's address (both ztunnels reach it over the bridge).
    const cp = ctx.spawn(
      topo.nodeA.ns,
      [
        ...appArgv(ctx, "control-plane"),
        ...["--config-dir", join(stateDir, "config"), "--state-dir", stateDir, "--listen", xds],
        ...["--log-level", "warn"],
      ],
      { label: "control plane", side: "node-a" },
    );
    await ctx.waitForListen(topo.nodeA.ns, Ports.controlPlane, cp);
    await until("the CA root certificate", 15_000, () => existsSync(join(stateDir, "ca", "root-cert.pem")));

    const ztunnel = (node: string, host: TopologyHost, side: "node-a" | "node-b") =>
      ctx.spawn(
        host.ns,
        [
          ...appArgv(ctx, "ztunnel"),
          ...["--node", node, "--state-dir", stateDir, "--xds-address", xds, "--log-level", "warn"],
        ],
        { label: `ztunnel (${node})`, side },
      );
    const za = ztunnel(NODES.a, topo.nodeA, "node-a");
    const zb = ztunnel(NODES.b, topo.nodeB, "node-b");
    await ctx.waitForListen(topo.nodeA.ns, Ports.readiness, za);
    await ctx.waitForListen(topo.nodeB.ns, Ports.readiness, zb);

    for (const [node, host] of [
      [NODES.a, topo.nodeA],
      [NODES.b, topo.nodeB],
    ] as const) {
      writeNodePods(stateDir, node, 1, pods);
      ctx.spawn(host.ns, [...appArgv(ctx, "node-agent"), "--node", node, "--state-dir", stateDir], {
        label: `node agent (${node})`,
        side: node === NODES.a ? "node-a" : "node-b",
      });
    }
    for (const p of pods) {
      await until(`${p.name} enrolled on ${p.node}`, 60_000, () =>
        (agentStatus(stateDir, p.node)?.pods ?? []).some((x) => x.uid === p.uid && x.enrolled),
      );
    }
    // Transparent capture: the client pod dials the server pod's real address.
    return { targets: { http: upstream(ctx, "http"), iperf: upstream(ctx, "iperf") }, procs: [za, zb] };
  },
  async teardown(ctx) {
    // Un-enrol: the node agents remove the in-pod rules, so later paths see clean pods.
    const stateDir = stateDirOf(ctx);
    for (const n of Object.values(NODES)) {
      if (existsSync(join(stateDir, "nodes", n, "pods.json"))) writeNodePods(stateDir, n, 2, []);
    }
    await until("the node agents to remove the in-pod rules", 15_000, () =>
      Object.values(NODES).every((n) =>
        (agentStatus(stateDir, n)?.pods ?? []).every((p) => p.rules !== "installed"),
      ),
    ).catch((e: unknown) => {
      // Not fatal for this run's numbers, but a later path would see captured pods: say so loudly.
      process.stderr.write(`\n*** BENCH: ambit-l4 teardown: ${String(e)}\n`);
    });
  },
};
