import { Ports } from "@ambit/api";
import { httpGetInNetns } from "@ambit/local";
import type { TopologyHost } from "@ambit/testing";
import { BenchPorts } from "../bench-ports.js";
import type { BenchPath, PathContext } from "./bench-path.js";
import { appArgv, MESH_NODES, MESH_NS, meshPod, startMesh, stopMesh, until } from "./mesh-setup.js";

const GW = "waypoint";
/** The waypoint pod's own subnet behind node B (pod subnets are 10.20.1/24 and 10.20.2/24). */
const WP = { subnet: "10.20.3", dev: "pW" } as const;
/** Service VIPs: never routed; ztunnel A captures the client pod's connection to them. */
const VIP = { server: "10.96.0.10", waypoint: "10.96.0.2" } as const;

/** A pod netns for the waypoint on node B (routed from node A like the server pod's subnet). */
async function addWaypointPod(ctx: PathContext): Promise<TopologyHost> {
  const h = ctx.harness;
  const { nodeA, nodeB } = ctx.topo;
  const ns = await h.addNamespace("podW");
  await h.addVeth({ ns, name: "eth0" }, { ns: nodeB.ns, name: WP.dev });
  await h.addAddress(nodeB.ns, WP.dev, `${WP.subnet}.1/24`);
  await h.addAddress(ns, "eth0", `${WP.subnet}.2/24`);
  await h.addRoute(ns, "default", { via: `${WP.subnet}.1` });
  await h.addRoute(nodeA.ns, `${WP.subnet}.0/24`, { via: nodeB.ip });
  await h.sysctl(ns, "net.core.somaxconn", "4096");
  await h.sysctl(ns, "net.ipv4.ip_local_port_range", "10000 65000");
  return { ns, path: h.path(ns), ip: `${WP.subnet}.2` };
}

/** Gateway, the waypoint's Service, and the server's Service bound to the waypoint (JSON docs). */
function configDocs(): unknown[] {
  const gwLabel = { "gateway.networking.k8s.io/gateway-name": GW };
  return [
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: GW, namespace: MESH_NS, labels: { "istio.io/waypoint-for": "service" } },
      spec: {
        gatewayClassName: "istio-waypoint",
        listeners: [{ name: "mesh", port: Ports.hbone, protocol: "HBONE" }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: GW, namespace: MESH_NS, labels: { ...gwLabel, "istio.io/use-waypoint": "none" } },
      spec: {
        selector: gwLabel,
        clusterIP: VIP.waypoint,
        ports: [
          { name: "mesh", port: Ports.hbone, targetPort: Ports.hbone },
          { name: "status-port", port: Ports.readiness, targetPort: Ports.readiness },
        ],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "server", namespace: MESH_NS, labels: { "istio.io/use-waypoint": GW } },
      spec: {
        selector: { app: "server" },
        clusterIP: VIP.server,
        ports: [
          { name: "http", port: BenchPorts.http, targetPort: BenchPorts.http, appProtocol: "http" },
          { name: "iperf", port: BenchPorts.iperf, targetPort: BenchPorts.iperf, appProtocol: "tcp" },
        ],
      },
    },
  ];
}

/** The waypoint's `istio_requests_total` summed over its series (0 before the first request). */
async function waypointRequests(ns: string): Promise<number> {
  const r = await httpGetInNetns(ns, `http://127.0.0.1:${Ports.metrics}/stats/prometheus`, 2000);
  if (!("status" in r) || r.status !== 200) return -1;
  let n = 0;
  for (const line of r.body.split("\n"))
    if (line.startsWith("istio_requests_total")) n += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
  return n;
}

/**
 * ambit's L7 path (issue 8): the client pod dials the server's Service VIP; ztunnel A captures it
 * and, because the Service is bound to a waypoint (`istio.io/use-waypoint`), sends it as HBONE to
 * the waypoint pod on node B; the waypoint parses HTTP, routes, and opens HBONE to the server pod,
 * where ztunnel B's inbound delivers it. iperf3 crosses the waypoint as opaque TCP. Charged: both
 * ztunnels and the waypoint.
 */
export const benchPath: BenchPath = {
  name: "ambit-waypoint",
  kind: "ambit",
  description:
    "client pod → ztunnel A (capture) → HBONE → ambit waypoint (node B: HTTP/1.1 parse, route, telemetry) → HBONE → ztunnel B inbound → server pod",
  // --quick: one repetition (its setup and saturated runs are slow; the full run does all).
  quickReps: 1,
  // Its cluster set-up (~27 s) alone would break the quick run's 2-minute budget.
  fullOnly: true,
  // Three fresh Node processes (two ztunnels, the waypoint): JIT warm-up before the first rate.
  warmupSeconds: 5,
  needs: [{ bin: "nft", pkg: "nftables" }],
  async setup(ctx) {
    const { topo } = ctx;
    const wpHost = await addWaypointPod(ctx);
    const pods = [
      meshPod("client", MESH_NODES.a, topo.podA),
      meshPod("server", MESH_NODES.b, topo.podB, { ports: [BenchPorts.http, BenchPorts.iperf] }),
      meshPod(`${GW}-waypoint`, MESH_NODES.b, wpHost, {
        ports: [Ports.hbone, Ports.metrics, Ports.readiness],
        labels: {
          "gateway.networking.k8s.io/gateway-name": GW,
          "istio.io/dataplane-mode": "none",
          "istio.io/use-waypoint": "none",
        },
        enrol: false,
      }),
    ];
    const mesh = await startMesh(ctx, pods, configDocs());
    const wp = ctx.spawn(
      wpHost.ns,
      [
        ...appArgv(ctx.repoRoot, "waypoint"),
        ...["--name", GW, "--namespace", MESH_NS, "--node", MESH_NODES.b, "--state-dir", mesh.stateDir],
        ...[
          "--xds-address",
          mesh.xds,
          "--pod-name",
          `${GW}-waypoint`,
          "--pod-ip",
          wpHost.ip,
          "--log-level",
          "warn",
        ],
      ],
      { label: "waypoint (node B)", side: "node-b" },
    );
    await ctx.waitForListen(wpHost.ns, Ports.readiness, wp);
    await until("the waypoint ready (certificate + config)", 30_000, async () => {
      const r = await httpGetInNetns(wpHost.ns, `http://127.0.0.1:${Ports.readiness}/healthz/ready`, 2000);
      return "status" in r && r.status === 200;
    });
    // The bench must measure the waypoint, not an L4 shortcut: wait until requests are counted there.
    const url = `http://${VIP.server}:${BenchPorts.http}/1k`;
    await until("requests to the server VIP to cross the waypoint", 30_000, async () => {
      const before = await waypointRequests(wpHost.ns);
      const r = await httpGetInNetns(topo.podA.ns, url, 2000);
      return "status" in r && r.status === 200 && (await waypointRequests(wpHost.ns)) > before && before >= 0;
    });
    const target = (port: number) => ({ ip: VIP.server, port });
    return {
      targets: { http: target(BenchPorts.http), iperf: target(BenchPorts.iperf) },
      procs: [...mesh.ztunnels, wp],
    };
  },
  async teardown(ctx) {
    await stopMesh(ctx, "ambit-waypoint");
    await ctx.harness.ip(ctx.topo.nodeA.ns, ["route", "del", `${WP.subnet}.0/24`]).catch(() => undefined);
  },
};
