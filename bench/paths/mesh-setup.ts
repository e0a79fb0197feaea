/**
 * ambit's mesh on the bench topology, shared by the ambit paths (ambit-l4, the waypoint):
 * the real control plane (xDS + CA) on node A, one ztunnel and one node agent per node, the
 * client and server pods enrolled, and any extra config documents (Gateway, Services, the
 * waypoint's Pod) in the control plane's file source. Apps are started by path, never imported
 * ({@link appArgv}: the build only when it is not older than the sources).
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DATAPLANE_MODE_LABEL, type NodePodsFile, Ports } from "@ambit/api";
import { writeNodeCredential } from "@ambit/local";
import type { TopologyHost } from "@ambit/testing";
import type { ProcGroup } from "../procs.js";
import { appArgv } from "./app-argv.js";
import type { PathContext } from "./bench-path.js";

export const MESH_NS = "bench";
export const MESH_NODES = { a: "node-a", b: "node-b" } as const;

export { appArgv } from "./app-argv.js";

export interface MeshPod {
  readonly name: string;
  readonly node: string;
  readonly host: TopologyHost;
  readonly uid: string;
  readonly ports: readonly number[];
  readonly labels: Readonly<Record<string, string>>;
  /** Enrolled by the node agent (false for a waypoint pod). */
  readonly enrol: boolean;
}

export function meshPod(
  name: string,
  node: string,
  host: TopologyHost,
  o: { ports?: readonly number[]; labels?: Record<string, string>; enrol?: boolean } = {},
): MeshPod {
  return {
    name,
    node,
    host,
    uid: randomUUID(),
    ports: o.ports ?? [],
    labels: { app: name, ...o.labels },
    enrol: o.enrol ?? true,
  };
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Kubernetes-shaped Pod (status filled in, as local mode publishes it). */
function podDoc(p: MeshPod, nodeIp: string): unknown {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: p.name, namespace: MESH_NS, uid: p.uid, labels: p.labels },
    spec: {
      serviceAccountName: p.labels["gateway.networking.k8s.io/gateway-name"] ?? p.name,
      nodeName: p.node,
      containers: [{ name: "main", ports: p.ports.map((containerPort) => ({ containerPort })) }],
    },
    status: { phase: "Running", podIP: p.host.ip, podIPs: [{ ip: p.host.ip }], hostIP: nodeIp },
  };
}

function writeNodePods(stateDir: string, node: string, generation: number, pods: readonly MeshPod[]): void {
  const file: NodePodsFile = {
    node,
    generation,
    pods: pods
      .filter((p) => p.node === node && p.enrol)
      .map((p) => ({
        uid: p.uid,
        name: p.name,
        namespace: MESH_NS,
        serviceAccount: p.name,
        labels: p.labels,
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

export async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`mesh setup: timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Mesh {
  readonly stateDir: string;
  /** `nodeA:15012`, where the control plane serves xDS and the CA. */
  readonly xds: string;
  /** The two ztunnels (the path's cost; the control plane and node agents are not charged). */
  readonly ztunnels: readonly ProcGroup[];
}

/**
 * Starts the mesh with `pods` (client, server, and any non-enrolled pod like a waypoint) and
 * `docs` (extra config objects, JSON), and waits until every enrolled pod is enrolled.
 */
export async function startMesh(
  ctx: PathContext,
  pods: readonly MeshPod[],
  docs: readonly unknown[],
): Promise<Mesh> {
  const { topo } = ctx;
  const stateDir = join(ctx.workDir, "state");
  const config = join(stateDir, "config");
  mkdirSync(config, { recursive: true });
  const xds = `${topo.nodeA.ip}:${Ports.controlPlane}`;
  const nodeIp = (n: string) => (n === MESH_NODES.a ? topo.nodeA.ip : topo.nodeB.ip);
  const all: unknown[] = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: MESH_NS, labels: { [DATAPLANE_MODE_LABEL]: "ambient" } },
    },
    ...pods.map((p) => podDoc(p, nodeIp(p.node))),
    ...docs,
  ];
  for (const [i, d] of all.entries()) writeAtomic(join(config, `bench-${i}.yaml`), JSON.stringify(d));
  for (const n of Object.values(MESH_NODES)) writeNodeCredential(stateDir, n);
  const cp = ctx.spawn(
    topo.nodeA.ns,
    [
      ...appArgv(ctx.repoRoot, "control-plane"),
      ...["--config-dir", config, "--state-dir", stateDir, "--listen", xds, "--log-level", "warn"],
    ],
    { label: "control plane", side: "node-a" },
  );
  await ctx.waitForListen(topo.nodeA.ns, Ports.controlPlane, cp);
  await until("the CA root certificate", 15_000, () => existsSync(join(stateDir, "ca", "root-cert.pem")));
  const nodes = [
    [MESH_NODES.a, topo.nodeA, "node-a"],
    [MESH_NODES.b, topo.nodeB, "node-b"],
  ] as const;
  const ztunnels = nodes.map(([node, host, side]) =>
    ctx.spawn(
      host.ns,
      [
        ...appArgv(ctx.repoRoot, "ztunnel"),
        ...["--node", node, "--state-dir", stateDir, "--xds-address", xds, "--log-level", "warn"],
      ],
      { label: `ztunnel (${node})`, side },
    ),
  );
  for (const [i, [, host]] of nodes.entries()) await ctx.waitForListen(host.ns, Ports.readiness, ztunnels[i]);
  for (const [node, host, side] of nodes) {
    writeNodePods(stateDir, node, 1, pods);
    ctx.spawn(host.ns, [...appArgv(ctx.repoRoot, "node-agent"), "--node", node, "--state-dir", stateDir], {
      label: `node agent (${node})`,
      side,
    });
  }
  for (const p of pods.filter((x) => x.enrol)) {
    await until(`${p.name} enrolled on ${p.node}`, 60_000, () =>
      (agentStatus(stateDir, p.node)?.pods ?? []).some((x) => x.uid === p.uid && x.enrolled),
    );
  }
  return { stateDir, xds, ztunnels };
}

/** Un-enrols every pod (the node agents remove the in-pod rules) so later paths see clean pods. */
export async function stopMesh(ctx: PathContext, label: string): Promise<void> {
  const stateDir = join(ctx.workDir, "state");
  const nodes = Object.values(MESH_NODES);
  for (const n of nodes) {
    if (existsSync(join(stateDir, "nodes", n, "pods.json"))) writeNodePods(stateDir, n, 2, []);
  }
  await until("the node agents to remove the in-pod rules", 15_000, () =>
    nodes.every((n) => (agentStatus(stateDir, n)?.pods ?? []).every((p) => p.rules !== "installed")),
  ).catch((e: unknown) => {
    process.stderr.write(`\n*** BENCH: ${label} teardown: ${String(e)}\n`);
  });
}
