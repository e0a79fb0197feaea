/**
 * ztunnel's only wiring point: bootstrap files → xDS client + ProxyState → SecretManager (CA
 * client, prefetch for this node's workloads) → per-pod proxy sets driven by ZDS → admin (15000),
 * metrics (15020) and readiness (15021). Every part is built in its own folder; this file only
 * connects them and owns their start/stop order.
 */
import { networkInterfaces } from "node:os";
import { formatIdentity, type Identity } from "@ambit/api";
import {
  createLogger,
  createRotatingSigner,
  errorMessage,
  type RotatingSigner,
  SecretManager,
  waitForNodeBootstrap,
} from "@ambit/core";
import { Registry } from "prom-client";
import { adminRoute, type HttpListener, listenHttp, metricsRoute, RecentConnections } from "./admin/index.js";
import { type InpodPod, ZdsClient } from "./inpod/index.js";
import {
  ConnectionManager,
  createPodProxyFactory,
  LocalInboundRegistry,
  type ProxyInputs,
} from "./proxy/index.js";
import { decideReadiness, type Readiness, readinessRoute } from "./readiness/index.js";
import { ProxyState } from "./state/index.js";
import { ConnectionTelemetry, ProxyMetrics } from "./telemetry/index.js";
import { ZtunnelXdsClient } from "./xds/index.js";

const log = createLogger("ztunnel.app");
const accessLog = createLogger("access");

/** A listen address for one of the node-netns HTTP ports (port 0 = any, for tests). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Everything the process needs (main.ts builds it from flags). */
export interface ZtunnelConfig {
  readonly node: string;
  /** Control plane xDS `host:port`; the CA is on the same listener unless `caAddress` says otherwise. */
  readonly xdsAddress: string;
  readonly caAddress: string;
  /** Trust bundle of the control plane's serving certificate (waited for at start). */
  readonly rootCertPath: string;
  /** The node's bootstrap token (waited for; re-read when it changes). */
  readonly tokenFile: string;
  /** Node agent's ZDS socket; undefined disables in-pod mode (no pod proxies). */
  readonly zdsSocket: string | undefined;
  readonly clusterId: string;
  readonly network: string;
  /** TLS name to verify instead of the xDS/CA address host. */
  readonly serverName?: string;
  readonly certTtlSeconds?: number;
  readonly admin: ListenAddress;
  readonly metrics: ListenAddress;
  readonly readiness: ListenAddress;
}

/** A running ztunnel. */
export interface ZtunnelApp {
  readonly ports: { readonly admin: number; readonly metrics: number; readonly readiness: number };
  readonly state: ProxyState;
  readiness(): Readiness;
  stop(): Promise<void>;
}

function nodeIp(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  return undefined;
}

/** Start ztunnel. The HTTP ports come up at once; the mesh parts once the bootstrap files exist. */
export async function startZtunnel(cfg: ZtunnelConfig): Promise<ZtunnelApp> {
  const state = new ProxyState();
  const registry = new Registry();
  const recent = new RecentConnections();
  const telemetry = new ConnectionTelemetry(new ProxyMetrics(registry), (line) => {
    recent.add(line);
    accessLog.info("connection complete", line);
  });
  const connections = new ConnectionManager(state);
  const unwatchPolicies = connections.watch(state);
  let xds: ZtunnelXdsClient | undefined;
  let secrets: SecretManager | undefined;
  let signer: RotatingSigner | undefined;
  let zds: ZdsClient | undefined;
  let stopped = false;
  let signalStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((r) => {
    signalStop = r;
  });
  const readiness = (): Readiness =>
    decideReadiness({
      bootstrapped: xds !== undefined,
      xdsSynced: xds?.isReady() ?? false,
      inpodReady: cfg.zdsSocket === undefined ? undefined : (zds?.ready ?? false),
    });

  const listeners: HttpListener[] = [];
  const admin = await listenHttp(cfg.admin.host, cfg.admin.port, (method, url) =>
    adminRoute(
      {
        node: cfg.node,
        state: () => state.toJSON(),
        certificates: () => secrets?.dump() ?? [],
        proxies: () => zds?.status() ?? [],
        connections: () => connections.list(),
        recentConnections: () => recent.list(),
        xds: () => ({ address: cfg.xdsAddress, ready: xds?.isReady() ?? false, types: xds?.status() ?? [] }),
        readiness,
      },
      method,
      url,
    ),
  );
  listeners.push(admin);
  const metrics = await listenHttp(cfg.metrics.host, cfg.metrics.port, (_m, url) =>
    metricsRoute(registry, url),
  );
  listeners.push(metrics);
  const ready = await listenHttp(cfg.readiness.host, cfg.readiness.port, (_m, url) =>
    readinessRoute(readiness(), url),
  );
  listeners.push(ready);

  const boot = async (): Promise<void> => {
    const bootstrap = await waitForNodeBootstrap(cfg, () => stopped, log);
    if (bootstrap === undefined) return;
    const { rootsPem, token } = bootstrap;
    signer = createRotatingSigner({
      address: cfg.caAddress,
      rootsPem,
      node: cfg.node,
      token,
      ...(cfg.serverName !== undefined ? { serverName: cfg.serverName } : {}),
    });
    secrets = new SecretManager({
      signer,
      ...(cfg.certTtlSeconds !== undefined ? { ttlSeconds: cfg.certTtlSeconds } : {}),
    });
    const sm = secrets;
    let onNode = new Map<string, Identity>();
    state.onChange(() => {
      const want = new Map<string, Identity>();
      for (const w of state.workloads())
        if (w.node === cfg.node && w.tunnelProtocol === "hbone")
          want.set(formatIdentity(w.identity), w.identity);
      for (const id of want.values()) sm.prefetch(id);
      for (const [k, id] of onNode) if (!want.has(k)) sm.forget(id);
      onNode = want;
    });
    const ip = nodeIp();
    xds = new ZtunnelXdsClient({
      address: cfg.xdsAddress,
      rootCertPem: rootsPem,
      token,
      headers: { "x-ambit-node": cfg.node },
      clusterId: cfg.clusterId,
      node: {
        ...(ip !== undefined ? { ip } : {}),
        podName: `ztunnel-${cfg.node}`,
        podNamespace: "istio-system",
        nodeName: cfg.node,
        clusterId: cfg.clusterId,
      },
      state,
      ...(cfg.serverName !== undefined ? { serverName: cfg.serverName } : {}),
    });
    xds.start();
    if (cfg.zdsSocket === undefined) return;
    // Pod proxies need the pod's workload (identity, IPs): give the first sync a head start.
    await Promise.race([xds.ready, stopSignal, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (stopped) return;
    const inputs: ProxyInputs = {
      state,
      certs: sm,
      telemetry,
      connections,
      local: new LocalInboundRegistry(),
      network: cfg.network,
    };
    const findWorkload = (pod: InpodPod) =>
      state.findWorkloadByUid(`${cfg.clusterId}//Pod/${pod.namespace}/${pod.name}`) ??
      [...state.workloads()].find(
        (w) => w.namespace === pod.namespace && w.name === pod.name && w.node === cfg.node,
      );
    zds = new ZdsClient({ socketPath: cfg.zdsSocket, factory: createPodProxyFactory(inputs, findWorkload) });
    zds.start();
  };
  // A failed bootstrap leaves ztunnel unready (the probe says why in the log); it never crashes the ports.
  const booting = boot().catch((e: unknown) => {
    log.error("ztunnel bootstrap failed", { error: errorMessage(e) });
  });
  log.info("ztunnel started", {
    node: cfg.node,
    admin: admin.port,
    metrics: metrics.port,
    readiness: ready.port,
    xds: cfg.xdsAddress,
    zds: cfg.zdsSocket ?? "disabled",
  });

  let stopping: Promise<void> | undefined;
  return {
    ports: { admin: admin.port, metrics: metrics.port, readiness: ready.port },
    state,
    readiness,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        signalStop();
        await booting.catch(() => undefined);
        await zds?.stop();
        xds?.close();
        secrets?.close();
        signer?.close();
        unwatchPolicies();
        await Promise.all(listeners.map((l) => l.close()));
        log.info("ztunnel stopped");
      })();
      return stopping;
    },
  };
}
