import type net from "node:net";
import type { SocketAddress, Workload } from "@ambit/api";
import { Ports, parseSocketAddress } from "@ambit/api";
import {
  createLogger,
  HbonePool,
  type HbonePoolOptions,
  HboneServer,
  type HboneServerContext,
  newTraceparent,
} from "@ambit/core";
import type { InpodPod, PodProxyFactory, PodProxyHandle } from "../inpod/index.js";
import { hboneInboundHandler, localInbound, plaintextInboundHandler } from "./inbound.js";
import { outboundHandler } from "./outbound.js";
import { netnsPodNetwork, type PodNetwork } from "./pod-network.js";
import type { PodContext, ProxyInputs } from "./proxy-inputs.js";

const log = createLogger("proxy.set");

/** How to build one pod's proxy set. */
export interface ProxySetOptions {
  /** `namespace/name` for logs. */
  readonly name: string;
  /** The pod's workload, re-read per connection (undefined while the state does not know it). */
  pod(): Workload | undefined;
  readonly network: PodNetwork;
  /** Listener ports; tests use 0. Default: 15001 / 15006 / 15008. */
  readonly ports?: { readonly outbound: number; readonly inboundPlaintext: number; readonly hbone: number };
  readonly pool?: HbonePoolOptions;
  /** HBONE server keepalive overrides (tests). */
  readonly hbone?: {
    readonly pingIntervalMs?: number;
    readonly pingTimeoutMs?: number;
    readonly handshakeTimeoutMs?: number;
  };
}

/** A running proxy set: the pod's three listeners, its HBONE pool and HBONE server. */
export interface ProxySet {
  readonly name: string;
  /** Bound ports (useful when started with port 0). */
  readonly ports: { readonly outbound: number; readonly inboundPlaintext: number; readonly hbone: number };
  readonly pool: HbonePool;
  readonly hboneServer: HboneServer;
  /** Close listeners, GOAWAY the pool and the HBONE sessions; reset what is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function portOf(s: net.Server): number {
  const a = s.address();
  return typeof a === "object" && a !== null ? a.port : 0;
}

/**
 * Start the per-pod proxies (wire-spec §2.1): 15001 outbound, 15006 plaintext inbound, 15008 HBONE,
 * all opened through `network` (in-pod: inside the pod's netns, marked 0x539, SO_REUSEPORT). The pod's
 * certificate is prefetched; the HBONE server presents it for connections to the pod's IPs only.
 */
export async function createProxySet(inputs: ProxyInputs, opts: ProxySetOptions): Promise<ProxySet> {
  const pc: PodContext = { name: opts.name, pod: opts.pod, network: opts.network };
  const ports = opts.ports ?? {
    outbound: Ports.outbound,
    inboundPlaintext: Ports.inboundPlaintext,
    hbone: Ports.hbone,
  };
  const pool = new HbonePool({
    ...opts.pool,
    dial: (hop) => opts.network.connect(hop, { timeoutMs: inputs.connectTimeoutMs ?? 10_000 }),
  });
  const initial = opts.pod();
  if (initial)
    inputs.certs
      .fetchCertificate(initial.identity)
      .catch((e: unknown) => log.warn("certificate prefetch failed", { pod: opts.name, error: e }));
  const hboneServer = new HboneServer({
    ...opts.hbone,
    contextFor: (local: SocketAddress): HboneServerContext | undefined => {
      const w = opts.pod();
      if (w === undefined || !w.addresses.includes(local.ip)) return undefined;
      const cert = inputs.certs.findCertificate(w.identity);
      if (!cert) {
        inputs.certs.fetchCertificate(w.identity).catch(() => {});
        return undefined;
      }
      return { secureContext: cert.secureContext, trustDomain: w.identity.trustDomain };
    },
    onRequest: hboneInboundHandler(inputs, pc),
  });
  const listeners: net.Server[] = [];
  try {
    const hbone = await opts.network.listen(ports.hbone);
    listeners.push(hbone);
    hbone.on("connection", (s: net.Socket) => hboneServer.handleConnection(s));
    const plain = await opts.network.listen(ports.inboundPlaintext);
    listeners.push(plain);
    plain.on("connection", plaintextInboundHandler(inputs, pc));
    const out = await opts.network.listen(ports.outbound);
    listeners.push(out);
    out.on("connection", outboundHandler(inputs, pc, pool));
  } catch (e) {
    for (const l of listeners) l.close();
    throw e;
  }
  const serveLocal = localInbound(inputs, pc);
  const ips = initial?.addresses ?? [];
  const unregister = inputs.local?.add(ips, {
    addresses: ips,
    serveLocal: (req) =>
      serveLocal(
        req,
        { ip: parseSocketAddress(req.authority)?.ip ?? "", port: Ports.hbone },
        req.id ?? newTraceparent(),
      ),
  });
  const [hb, pl, ob] = listeners as [net.Server, net.Server, net.Server];
  log.info("proxy set started", { pod: opts.name, ports: [portOf(ob), portOf(pl), portOf(hb)] });
  return {
    name: opts.name,
    ports: { outbound: portOf(ob), inboundPlaintext: portOf(pl), hbone: portOf(hb) },
    pool,
    hboneServer,
    async stop(graceMs = 5_000) {
      unregister?.();
      for (const l of listeners) l.close();
      pool.close();
      await hboneServer.close(graceMs);
      pool.close(true);
      log.info("proxy set stopped", { pod: opts.name });
    },
  };
}

/**
 * Default mapping of a ZDS pod to its WDS workload: the pod workload with the same namespace and
 * name (ZDS carries the Kubernetes pod UID, WDS keys workloads by `cluster//Pod/ns/name`).
 */
export function findPodWorkload(
  state: { workloads(): IterableIterator<Workload> },
  pod: Pick<InpodPod, "namespace" | "name">,
): Workload | undefined {
  for (const w of state.workloads()) {
    if (w.namespace === pod.namespace && w.name === pod.name && w.uid.includes("/Pod/")) return w;
  }
  return undefined;
}

/**
 * The in-pod adapter: ZDS hands a pod (netns fd) → a proxy set inside that netns. `findWorkload`
 * maps the ZDS pod to its WDS workload (e.g. `(p) => findPodWorkload(state, p)`).
 */
export function createPodProxyFactory(
  inputs: ProxyInputs,
  findWorkload: (pod: InpodPod) => Workload | undefined,
  opts: Pick<ProxySetOptions, "pool" | "hbone"> = {},
): PodProxyFactory {
  return {
    async start(pod: InpodPod): Promise<PodProxyHandle> {
      const set = await createProxySet(inputs, {
        ...opts,
        name: `${pod.namespace}/${pod.name}`,
        pod: () => findWorkload(pod),
        network: netnsPodNetwork(pod.netnsFd),
      });
      return { stop: () => set.stop() };
    },
  };
}
