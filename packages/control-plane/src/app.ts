/**
 * The control plane's only wiring point: file source → debounced snapshot builder → generator
 * table → delta ADS server; the CA, authorized against the same snapshot; one node authenticator
 * for both; one TLS listener; a small HTTP status endpoint. Every piece is built elsewhere — this
 * file only connects them and owns their start/stop order.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { Ports } from "@ambit/api";
import { CodedError, createLogger, errorMessage } from "@ambit/core";
import type { NodeAuthenticator } from "./auth/index.js";
import { createLocalNodeAuthenticator } from "./auth/index.js";
import { CertificateAuthority, caFilesInDir, createCaService, readAdditionalRoots } from "./ca/index.js";
import { waypointStatuses } from "./controller/waypoint-status.js";
import type { MeshConfig } from "./model/mesh-config.js";
import { SnapshotBuilder } from "./model/snapshot-builder.js";
import { ControlPlaneServer } from "./server/index.js";
import { FileSource } from "./sources/file-source.js";
import { formatIssue } from "./status/config-issue.js";
import { ConfigStatus } from "./status/config-status.js";
import { generateResources } from "./translate/generators.js";
import { XdsServer } from "./xds-server/index.js";

const log = createLogger("control-plane.app");

export type ControlPlaneAppErrorCode = "bad_config" | "status_listen_failed";

/** The one error class of the control plane's wiring. */
export class ControlPlaneAppError extends CodedError<ControlPlaneAppErrorCode> {
  override readonly name = "ControlPlaneAppError";
}

/** Everything the process needs to know (main.ts builds it from flags). */
export interface ControlPlaneConfig {
  /** Directory of Kubernetes-style YAML (the file source). */
  readonly configDir: string;
  /**
   * Persistent state: CA root under `ca/` (`ca/root-cert.pem` is always the published trust
   * bundle, also with `caDir`), node credentials under `node-credentials/`.
   */
  readonly stateDir: string;
  /** TLS listener for xDS + CA. */
  readonly listenHost: string;
  readonly listenPort: number;
  /** HTTP status endpoint on a unix socket (reachable from the host whatever netns we run in). */
  readonly statusSocket?: string;
  /** Optional HTTP status endpoint on 127.0.0.1:<port> (0 = pick a free one). */
  readonly statusPort?: number;
  readonly mesh?: Partial<MeshConfig>;
  /**
   * Operator CA in Istio's `cacerts` layout (`ca-cert.pem`, `ca-key.pem`, `root-cert.pem`,
   * optional `cert-chain.pem`): the signer may be a root or an intermediate. Absent: the
   * self-signed root persisted under `<stateDir>/ca/`.
   */
  readonly caDir?: string;
  /** PEM file of extra roots published in the trust bundle (root rotation). */
  readonly additionalRootsFile?: string;
  /** Workload certificate TTLs (CA defaults when absent). */
  readonly workloadTtlSeconds?: number;
  readonly maxWorkloadTtlSeconds?: number;
  /** Extra SANs for the serving certificate (the listen IP and localhost are always included). */
  readonly servingDnsNames?: readonly string[];
  readonly servingIps?: readonly string[];
  /** Debounce of the snapshot builder. */
  readonly debounceMs?: number;
}

/** A running control plane. */
export interface ControlPlaneApp {
  readonly xdsPort: number;
  /** Where clients find the trust bundle that signs the serving certificate. */
  readonly rootCertPath: string;
  readonly statusPort: number | undefined;
  readonly xds: XdsServer;
  readonly builder: SnapshotBuilder;
  readonly status: ConfigStatus;
  /** Graceful stop: stop accepting, give open calls `graceMs`, stop watching config. */
  stop(graceMs?: number): Promise<void>;
}

/** Trust bundle location for clients: `<stateDir>/ca/root-cert.pem` (same file the CA persists). */
export function rootCertPath(stateDir: string): string {
  return join(stateDir, "ca", "root-cert.pem");
}

/** SANs for the serving cert: the listen IP (or every local IP for a wildcard listen) + loopback. */
export function servingSans(cfg: ControlPlaneConfig): { dnsNames: string[]; ips: string[] } {
  const ips = new Set(["127.0.0.1", "::1", ...(cfg.servingIps ?? [])]);
  const wildcard = cfg.listenHost === "0.0.0.0" || cfg.listenHost === "::";
  if (wildcard) {
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) if (!a.address.startsWith("fe80:")) ips.add(a.address);
  } else {
    ips.add(cfg.listenHost);
  }
  const dnsNames = [
    "localhost",
    "ambit-control-plane",
    "istiod.istio-system.svc",
    ...(cfg.servingDnsNames ?? []),
  ];
  return { dnsNames: [...new Set(dnsNames)], ips: [...ips] };
}

/** Build, start and connect every part; rejects (after cleaning up) if any part fails to start. */
export async function startControlPlane(
  cfg: ControlPlaneConfig,
  authenticator: NodeAuthenticator = createLocalNodeAuthenticator(cfg.stateDir),
): Promise<ControlPlaneApp> {
  mkdirSync(cfg.stateDir, { recursive: true });
  const ca = await CertificateAuthority.create({
    stateDir: cfg.stateDir,
    ...(cfg.caDir !== undefined ? { files: caFilesInDir(cfg.caDir) } : {}),
    ...(cfg.additionalRootsFile !== undefined
      ? { additionalRootsPem: await readAdditionalRoots(cfg.additionalRootsFile) }
      : {}),
    ...(cfg.mesh?.trustDomain !== undefined ? { trustDomain: cfg.mesh.trustDomain } : {}),
    ...(cfg.workloadTtlSeconds !== undefined ? { defaultTtlSeconds: cfg.workloadTtlSeconds } : {}),
    ...(cfg.maxWorkloadTtlSeconds !== undefined ? { maxTtlSeconds: cfg.maxWorkloadTtlSeconds } : {}),
  });
  // The CA persists its root there already; rewrite the whole bundle so extra roots are included.
  const rootPath = rootCertPath(cfg.stateDir);
  mkdirSync(dirname(rootPath), { recursive: true });
  writeFileSync(rootPath, ca.rootsPem, { mode: 0o644 });

  const builder = new SnapshotBuilder(new FileSource({ dir: cfg.configDir }), {
    ...(cfg.mesh !== undefined ? { mesh: cfg.mesh } : {}),
    ...(cfg.debounceMs !== undefined ? { debounceMs: cfg.debounceMs } : {}),
  });
  const status = new ConfigStatus(builder);
  const xds = new XdsServer({ authenticator });
  const publish = (): void => {
    const s = builder.current();
    const version = xds.update(generateResources(s));
    const sum = status.summary();
    log.info("snapshot published", {
      snapshot: s.version,
      xdsVersion: version,
      pods: s.pods.size,
      services: s.services.size,
      errors: sum.errors,
      warnings: sum.warnings,
    });
    for (const i of status.errors()) log.warn("config error", { issue: formatIssue(i) });
  };
  // An empty (or not yet written) config dir is an empty mesh, not an error: local mode writes it later.
  mkdirSync(cfg.configDir, { recursive: true });
  await builder.start();
  publish();
  const unsubscribe = builder.subscribe(publish);

  const serving = await ca.issueServingCertificate(servingSans(cfg));
  const server = new ControlPlaneServer({
    host: cfg.listenHost,
    port: cfg.listenPort,
    tls: { certChainPem: serving.certChainPem, keyPem: serving.keyPem },
  });
  xds.register(server);
  const caService = createCaService({
    ca,
    authenticator,
    isIdentityOnNode: (node, identity) => builder.current().isIdentityOnNode(node, identity),
  });
  server.addService(caService.definition, caService.handlers);
  let xdsPort: number;
  try {
    xdsPort = await server.start();
  } catch (e) {
    unsubscribe();
    await builder.stop();
    throw e;
  }

  const http = createServer((req, res) => handleStatus(req, res, { builder, status, xds, xdsPort }));
  const listeners: Server[] = [];
  let statusPort: number | undefined;
  try {
    if (cfg.statusSocket !== undefined) {
      rmSync(cfg.statusSocket, { force: true });
      mkdirSync(dirname(cfg.statusSocket), { recursive: true });
      await listen(http, cfg.statusSocket);
      listeners.push(http);
    }
    if (cfg.statusPort !== undefined) {
      const tcp = createServer((req, res) => handleStatus(req, res, { builder, status, xds, xdsPort }));
      statusPort = await listen(tcp, { host: "127.0.0.1", port: cfg.statusPort });
      listeners.push(tcp);
    }
  } catch (e) {
    for (const l of listeners) l.close();
    unsubscribe();
    await server.stop(0);
    await builder.stop();
    throw new ControlPlaneAppError("status_listen_failed", `status endpoint: ${errorMessage(e)}`, {
      cause: e,
    });
  }
  log.info("control plane ready", {
    listen: `${cfg.listenHost}:${xdsPort}`,
    rootCert: rootPath,
    ca: cfg.caDir ?? "self-signed root in state dir",
    trustRoots: ca.rootsPem.match(/BEGIN CERTIFICATE/g)?.length ?? 0,
    statusSocket: cfg.statusSocket,
    statusPort,
  });

  let stopped: Promise<void> | undefined;
  return {
    xdsPort,
    rootCertPath: rootPath,
    statusPort,
    xds,
    builder,
    status,
    stop(graceMs = 1000): Promise<void> {
      stopped ??= (async () => {
        for (const l of listeners) {
          l.close();
          l.closeAllConnections();
        }
        unsubscribe();
        xds.disconnectAll("control plane shutting down");
        await server.stop(graceMs);
        await builder.stop();
        if (cfg.statusSocket !== undefined) rmSync(cfg.statusSocket, { force: true });
        log.info("control plane stopped");
      })();
      return stopped;
    },
  };
}

function listen(server: Server, at: string | { host: string; port: number }): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const done = (): void => {
      server.off("error", reject);
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : undefined);
    };
    if (typeof at === "string") server.listen(at, done);
    else server.listen(at.port, at.host, done);
  });
}

interface StatusDeps {
  readonly builder: SnapshotBuilder;
  readonly status: ConfigStatus;
  readonly xds: XdsServer;
  readonly xdsPort: number;
}

/**
 * Read-only status routes: `/status` (summary, issues, xDS clients), `/debug/config_errors`,
 * `/debug/syncz` (istiod's name for per-proxy sync status), `/healthz/ready`, `/waypoints`
 * (JSON list of waypoint Gateway statuses, `?namespace=<ns>` to filter; the CLI reads it).
 */
function handleStatus(req: IncomingMessage, res: ServerResponse, d: StatusDeps): void {
  const url = new URL(req.url ?? "/", "http://status");
  const { code, body } =
    req.method === "GET" ? statusRoute(url, d) : { code: 405, body: { error: "only GET" } };
  const text = `${JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
  res.writeHead(code, { "content-type": "application/json" });
  res.end(text);
}

function statusRoute(url: URL, d: StatusDeps): { code: number; body: unknown } {
  const snap = d.builder.current();
  const path = url.pathname;
  switch (path) {
    case "/waypoints":
      return { code: 200, body: waypointStatuses(snap, url.searchParams.get("namespace") ?? undefined) };
    case "/healthz/ready":
      return { code: 200, body: { ready: true, snapshotVersion: snap.version } };
    case "/debug/config_errors":
      return { code: 200, body: { summary: d.status.summary(), issues: d.status.issues() } };
    case "/debug/syncz":
      return { code: 200, body: d.xds.status() };
    case "/status":
    case "/":
      return {
        code: 200,
        body: {
          xdsPort: d.xdsPort,
          defaultXdsPort: Ports.controlPlane,
          snapshot: {
            version: snap.version,
            namespaces: snap.namespaces.size,
            pods: snap.pods.size,
            services: snap.services.size,
            authorizationPolicies: snap.authorizationPolicies.size,
            peerAuthentications: snap.peerAuthentications.size,
            gateways: snap.gateways.size,
            httpRoutes: snap.httpRoutes.size,
            virtualServices: snap.virtualServices.size,
            requestAuthentications: snap.requestAuthentications.size,
          },
          summary: d.status.summary(),
          issues: d.status.issues(),
          xds: d.xds.status(),
        },
      };
    default:
      return {
        code: 404,
        body: {
          error: `unknown path ${path}`,
          paths: ["/status", "/debug/config_errors", "/debug/syncz", "/healthz/ready", "/waypoints"],
        },
      };
  }
}
