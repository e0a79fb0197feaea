/**
 * The waypoint's only wiring point: bootstrap files → certificate for its own identity
 * (core SecretManager, node-token CA client, renewed at half life) → xDS subscription to its own
 * `WaypointConfig` → `WaypointServer` on the HBONE port; admin (15000), metrics (15020) and
 * readiness (15021). Every part is built in its own folder; this file connects them and owns the
 * start/stop order.
 */
import net from "node:net";
import { networkInterfaces } from "node:os";
import { formatIdentity, makeIdentity, Ports } from "@ambit/api";
import {
  createLogger,
  createRotatingSigner,
  errorMessage,
  HbonePool,
  type RotatingSigner,
  SecretManager,
  type WorkloadCertificate,
  waitForNodeBootstrap,
} from "@ambit/core";
import {
  adminRoute,
  decideWaypointReadiness,
  type HttpListener,
  listenHttp,
  metricsRoute,
  RecentRequests,
  readinessRoute,
  type WaypointReadiness,
} from "./admin/index.js";
import { WaypointServer } from "./listener/waypoint-server.js";
import { type AccessLogSink, stdoutAccessLog } from "./telemetry/access-log.js";
import { WaypointMetrics } from "./telemetry/metrics.js";
import { WaypointConfigUpdater, WaypointXdsClient, waypointResourceName } from "./xds/index.js";

const log = createLogger("waypoint.app");

/** A listen address (port 0 = any, for tests). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Everything the process needs (main.ts builds it from flags). */
export interface WaypointProcessConfig {
  /** Gateway name = service account of the waypoint identity. */
  readonly name: string;
  readonly namespace: string;
  /** Node the pod runs on (its token authenticates CA and xDS calls). */
  readonly node: string;
  readonly xdsAddress: string;
  readonly caAddress: string;
  readonly rootCertPath: string;
  readonly tokenFile: string;
  readonly trustDomain: string;
  readonly clusterId: string;
  readonly podName: string;
  /** Pod IP for the node id; detected from the interfaces when undefined. */
  readonly podIp: string | undefined;
  readonly hbone: ListenAddress;
  readonly admin: ListenAddress;
  readonly metrics: ListenAddress;
  readonly readiness: ListenAddress;
  /** Requested certificate lifetime (CA default when absent). */
  readonly certTtlSeconds?: number;
  /** Access-log sink; default one JSON line per request on stdout. */
  readonly accessLog?: AccessLogSink;
  /** How long SIGTERM waits for open tunnels before closing them; default 3 s. */
  readonly drainMs?: number;
  /** xDS reconnect backoff (tests shorten it). */
  readonly xdsBackoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** A running waypoint. */
export interface WaypointApp {
  readonly ports: {
    readonly hbone: number;
    readonly admin: number;
    readonly metrics: number;
    readonly readiness: number;
  };
  readiness(): WaypointReadiness;
  stop(): Promise<void>;
}

function firstIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  return undefined;
}

function listenTcp(server: net.Server, at: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => {
      server.off("error", reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Start the waypoint. HTTP ports and the HBONE port come up at once; the mesh parts once the bootstrap files exist. */
export async function startWaypoint(cfg: WaypointProcessConfig): Promise<WaypointApp> {
  const identity = makeIdentity(cfg.namespace, cfg.name, cfg.trustDomain);
  const idText = formatIdentity(identity);
  const resource = waypointResourceName(cfg.namespace, cfg.name);
  const metrics = new WaypointMetrics();
  const recent = new RecentRequests();
  const sink = cfg.accessLog ?? stdoutAccessLog;
  const updater = new WaypointConfigUpdater({ resourceName: resource });
  const pool = new HbonePool();
  let secrets: SecretManager | undefined;
  let signer: RotatingSigner | undefined;
  let xds: WaypointXdsClient | undefined;
  let lastCert: WorkloadCertificate | undefined;
  let stopped = false;

  /** The valid certificate, else the last one held (expired: peers will refuse it, the log says why). */
  const certificate = (): WorkloadCertificate | undefined => {
    const c = secrets?.findCertificate(identity);
    if (c) lastCert = c;
    return c ?? lastCert;
  };
  const readiness = (): WaypointReadiness =>
    decideWaypointReadiness({
      bootstrapped: secrets !== undefined,
      certificate: secrets?.findCertificate(identity) !== undefined,
      config: updater.current() !== undefined,
      draining: stopped,
      identity: idText,
      resource,
    });

  const server = new WaypointServer({
    identity,
    secureContext: () => {
      const c = certificate();
      if (!c) throw new Error(`no certificate for ${idText}`);
      return c.secureContext;
    },
    state: () => updater.current()?.state,
    jwtRules: () => updater.current()?.jwtRules ?? [],
    pool,
    hbonePort: Ports.hbone,
    metrics,
    accessLog: (r) => {
      recent.add(r);
      sink(r);
    },
  });
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    // Without a certificate no handshake can succeed: refuse at once instead of failing in TLS.
    if (stopped || !certificate()) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    server.handleConnection(s);
  });
  const listeners: HttpListener[] = [];
  const closeAll = async () => {
    await Promise.all(listeners.map((l) => l.close()));
    await new Promise<void>((r) => (tcp.listening ? tcp.close(() => r()) : r()));
  };
  let hbonePort: number;
  try {
    hbonePort = await listenTcp(tcp, cfg.hbone);
    listeners.push(
      await listenHttp(cfg.admin.host, cfg.admin.port, (method, url) =>
        adminRoute(
          {
            gateway: { namespace: cfg.namespace, name: cfg.name },
            node: cfg.node,
            identity: idText,
            config: () => updater.dump(),
            certificates: () => secrets?.dump() ?? [],
            xds: () => ({ address: cfg.xdsAddress, ...(xds?.status() ?? { connected: false }) }),
            readiness,
            recentRequests: () => recent.list(),
          },
          method,
          url,
        ),
      ),
    );
    listeners.push(
      await listenHttp(cfg.metrics.host, cfg.metrics.port, (_m, url) => metricsRoute(metrics.registry, url)),
    );
    listeners.push(
      await listenHttp(cfg.readiness.host, cfg.readiness.port, (_m, url) => readinessRoute(readiness(), url)),
    );
  } catch (e) {
    await closeAll();
    throw e;
  }
  const [admin, metricsL, ready] = listeners as [HttpListener, HttpListener, HttpListener];

  const boot = async (): Promise<void> => {
    const bootstrap = await waitForNodeBootstrap(cfg, () => stopped, log);
    if (bootstrap === undefined) return;
    const { rootsPem, token } = bootstrap;
    signer = createRotatingSigner({ address: cfg.caAddress, rootsPem, node: cfg.node, token });
    secrets = new SecretManager({
      signer,
      ...(cfg.certTtlSeconds !== undefined ? { ttlSeconds: cfg.certTtlSeconds } : {}),
    });
    // Fetched now, then renewed at half life (and retried with backoff) by the manager itself.
    secrets.prefetch(identity);
    xds = new WaypointXdsClient({
      address: cfg.xdsAddress,
      rootCertPem: rootsPem,
      token,
      node: {
        ip: cfg.podIp ?? firstIpv4(),
        podName: cfg.podName,
        podNamespace: cfg.namespace,
        nodeName: cfg.node,
        gateway: cfg.name,
        clusterId: cfg.clusterId,
      },
      resourceName: resource,
      updater,
      ...(cfg.xdsBackoff ? { backoff: cfg.xdsBackoff } : {}),
    });
    xds.start();
  };
  // A failed bootstrap leaves the waypoint unready (the log says why); it never takes the ports down.
  const booting = boot().catch((e: unknown) =>
    log.error("waypoint bootstrap failed", { error: errorMessage(e) }),
  );
  log.info("waypoint started", {
    gateway: resource,
    identity: idText,
    hbone: hbonePort,
    admin: admin.port,
    metrics: metricsL.port,
    readiness: ready.port,
    xds: cfg.xdsAddress,
  });

  let stopping: Promise<void> | undefined;
  return {
    ports: { hbone: hbonePort, admin: admin.port, metrics: metricsL.port, readiness: ready.port },
    readiness,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await booting;
        xds?.close();
        await new Promise<void>((r) => tcp.close(() => r()));
        // Drain: open tunnels get `drainMs` to finish, then their connections are closed here
        // (before core's own grace timer would have to).
        const drained = server.close(10_000);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, cfg.drainMs ?? 3_000)))]);
        clearTimeout(timer);
        for (const s of sockets) s.destroy();
        await drained.catch(() => undefined);
        pool.close(true);
        secrets?.close();
        signer?.close();
        await Promise.all(listeners.map((l) => l.close()));
        log.info("waypoint stopped", { gateway: resource });
      })();
      return stopping;
    },
  };
}
