/**
 * Child process of `ztunnel-dataplane.bench.ts`: two ztunnel proxy sets on loopback (client pod
 * "sleep" on 127.0.0.2, server pod "web" on 127.0.0.1) with real certificates, real ProxyState,
 * real telemetry (access log to stderr, which the parent discards) and real HBONE between them.
 * It runs alone in its own process so `process.cpuUsage()` / `memoryUsage()` are the proxies'
 * own cost (both nodes' proxies together: node A's outbound and node B's inbound).
 *
 * IPC (JSON messages): `{cmd:"target", port}` sets where captured connections "were going";
 * `{cmd:"usage", gc?, snapshot?}` (optionally writing a heap snapshot there) answers `{cpu, mem, tracked}`; `{cmd:"stop"}` exits.
 */
import type tls from "node:tls";
import { writeHeapSnapshot } from "node:v8";
import type { Identity, SocketAddress, Workload } from "@ambit/api";
import { formatIdentity, makeIdentity, Ports, socketAddress } from "@ambit/api";
import { createHboneSecureContext } from "@ambit/core";
import { createTestPki } from "@ambit/testing";
import {
  type CertProvider,
  ConnectionManager,
  ConnectionTelemetry,
  createProxySet,
  hostPodNetwork,
  LocalInboundRegistry,
  type PodNetwork,
  type ProxyInputs,
  ProxyMetrics,
  ProxyState,
} from "@ambit/ztunnel";

export const CLIENT_IP = "127.0.0.2";
export const SERVER_IP = "127.0.0.1";

/** Messages the parent sends. */
export type ProxyCommand =
  | { readonly cmd: "target"; readonly port: number }
  | { readonly cmd: "usage"; readonly gc?: boolean; readonly snapshot?: string }
  | { readonly cmd: "stop" };

/** Answers to the parent. */
export type ProxyReply =
  | { readonly t: "ready"; readonly outbound: number }
  | {
      readonly t: "usage";
      readonly cpu: NodeJS.CpuUsage;
      readonly mem: NodeJS.MemoryUsage;
      readonly tracked: number;
      /** Completed HBONE (mTLS + h2) handshakes so far: new connections should reuse the pool. */
      readonly handshakes: number;
    };

function workload(name: string, ip: string): Workload {
  return {
    uid: `Kubernetes//Pod/default/${name}`,
    name,
    namespace: "default",
    addresses: [ip],
    hostname: "",
    network: "",
    tunnelProtocol: "hbone",
    identity: makeIdentity("default", name),
    waypoint: undefined,
    networkGateway: undefined,
    node: "node-1",
    canonicalName: name,
    canonicalRevision: "v1",
    workloadType: "deployment",
    workloadName: name,
    nativeTunnel: false,
    services: new Map(),
    authorizationPolicies: [],
    status: "healthy",
    clusterId: "Kubernetes",
    locality: { region: "", zone: "", subzone: "" },
    capacity: 1,
  };
}

async function main(): Promise<void> {
  const sameNode = process.argv.includes("--same-node");
  const pki = await createTestPki();
  const sleep = workload("sleep", CLIENT_IP);
  const web = workload("web", SERVER_IP);
  const state = new ProxyState();
  state.applyAddress({ workloads: [sleep, web], services: [], removed: [] });
  const byId = new Map<string, { secureContext: tls.SecureContext; identity: Identity }>();
  for (const w of [sleep, web]) {
    const leaf = await pki.issue({ identity: w.identity });
    const secureContext = createHboneSecureContext({
      certChain: leaf.chainPem,
      privateKey: leaf.keyPem,
      roots: pki.rootsPem,
    });
    byId.set(formatIdentity(w.identity), { secureContext, identity: w.identity });
  }
  const certs: CertProvider = {
    findCertificate: (id) => byId.get(formatIdentity(id)),
    fetchCertificate: async (id) => {
      const c = byId.get(formatIdentity(id));
      if (!c) throw new Error("no certificate");
      return c;
    },
  };
  const connections = new ConnectionManager(state);
  const inputs: ProxyInputs = {
    state,
    certs,
    telemetry: new ConnectionTelemetry(new ProxyMetrics()),
    connections,
    ...(sameNode ? { local: new LocalInboundRegistry() } : {}),
  };
  connections.watch(state);
  let target: SocketAddress | undefined;
  const ports = { outbound: 0, inboundPlaintext: 0, hbone: 0 };
  const server = await createProxySet(inputs, {
    name: "default/web",
    pod: () => state.findWorkloadByUid(web.uid),
    network: hostPodNetwork({ host: SERVER_IP }),
    ports,
  });
  const base = hostPodNetwork({ host: CLIENT_IP, originalDst: () => target });
  const clientNet: PodNetwork = {
    listen: base.listen,
    originalDst: base.originalDst,
    connect: (to, o) =>
      base.connect(to.port === Ports.hbone ? socketAddress(to.ip, server.ports.hbone) : to, {
        sourceIp: CLIENT_IP,
        ...(o?.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      }),
  };
  const client = await createProxySet(inputs, {
    name: "default/sleep",
    pod: () => state.findWorkloadByUid(sleep.uid),
    network: clientNet,
    ports,
  });
  const send = (m: ProxyReply) => process.send?.(m);
  // The bench went away (killed, crashed): do not outlive it.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: ProxyCommand) => {
    if (m.cmd === "target") target = socketAddress(SERVER_IP, m.port);
    else if (m.cmd === "usage") {
      if (m.gc) for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
      if (m.snapshot) writeHeapSnapshot(m.snapshot);
      send({
        t: "usage",
        cpu: process.cpuUsage(),
        mem: process.memoryUsage(),
        tracked: connections.size,
        handshakes: server.hboneServer.stats.handshakes,
      });
    } else if (m.cmd === "stop") {
      void Promise.all([client.stop(100), server.stop(100)]).finally(() => process.exit(0));
    }
  });
  send({ t: "ready", outbound: client.ports.outbound });
}

await main();
