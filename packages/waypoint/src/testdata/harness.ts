// Test harness for socket tests (excluded from the build): a real waypoint on loopback with real
// mTLS (test PKI), backends behind a real HBONE server, and a "ztunnel" client side that opens
// HBONE CONNECTs to the waypoint with the sleep identity.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type tls from "node:tls";
import { makeIdentity, socketAddress } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { createHboneSecureContext, HbonePool, HboneServer, connectHeaders, pipeSocketStream } from "@ambit/core";
import { createTestPki } from "@ambit/testing";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { fromWaypointConfig } from "../config/from-pb.js";
import type { WaypointState } from "../config/types.js";
import { jsDuplex } from "../listener/no-writev.js";
import { WaypointServer } from "../listener/waypoint-server.js";
import { compileJwtRules } from "../route/jwt.js";
import type { AccessLogRecord } from "../telemetry/access-log.js";
import { WaypointMetrics } from "../telemetry/metrics.js";

export const WAYPOINT_ID = makeIdentity("bookinfo", "waypoint");
export const SLEEP_ID = makeIdentity("bookinfo", "sleep");
export const BACKEND_ID = makeIdentity("bookinfo", "backend");

export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

/** A small app behind an endpoint: counts hits, echoes what it saw, can be told to fail or stall. */
export interface App {
  readonly name: string;
  hits: number;
  port: number;
  server: net.Server;
}

function echoBody(name: string, req: http.IncomingMessage | http2.Http2ServerRequest, body: string) {
  return JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body });
}

/**
 * HTTP/1.1 app. Paths: /flaky → 503 on odd hits; /slow → answers after 1 s; /bytes/N → N bytes;
 * else 200 echo.
 */
export async function startHttp1App(name: string): Promise<App> {
  const app: App = { name, hits: 0, port: 0, server: undefined as unknown as net.Server };
  const server = http.createServer((req, res) => {
    app.hits++;
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      if (req.url?.includes("flaky") && app.hits % 2 === 1) {
        res.writeHead(503).end("flaky");
        return;
      }
      const size = /^\/bytes\/([0-9]+)/.exec(req.url ?? "");
      if (size) {
        res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(Number(size[1]), 120));
        return;
      }
      const delay = req.url?.includes("slow") ? 1000 : 0;
      const t = setTimeout(() => res.writeHead(200, { "content-type": "application/json", "x-app": name }).end(echoBody(name, req, body)), delay);
      res.once("close", () => clearTimeout(t));
    });
  });
  app.server = server;
  app.port = await listen(server);
  return app;
}

/** HTTP/2 (h2c prior knowledge) echo app. */
export async function startHttp2App(name: string): Promise<App> {
  const app: App = { name, hits: 0, port: 0, server: undefined as unknown as net.Server };
  const server = http2.createServer((req, res) => {
    app.hits++;
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => res.writeHead(200, { "x-app": name }).end(echoBody(name, req, body)));
  });
  app.server = server as unknown as net.Server;
  app.port = await listen(app.server);
  return app;
}

/** Raw TCP echo app (for the L4 path). */
export async function startTcpApp(name: string): Promise<App> {
  const app: App = { name, hits: 0, port: 0, server: undefined as unknown as net.Server };
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    app.hits++;
    s.on("error", () => s.destroy());
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end());
  });
  app.server = server;
  app.port = await listen(server);
  return app;
}

/** Certificate material of a client identity (for a client in another process). */
export interface ClientPems {
  readonly certChain: string;
  readonly privateKey: string;
  readonly roots: string;
}

export interface Harness {
  /** The `sleep` client's certificate (what `tunnel()` presents). */
  readonly sleepPems: ClientPems;
  readonly waypoint: WaypointServer;
  readonly metrics: WaypointMetrics;
  readonly logs: AccessLogRecord[];
  readonly waypointPort: number;
  /** Set what the waypoint serves. */
  setConfig(c: MessageInitShape<typeof pb.waypoint.WaypointConfigSchema>, jwks?: string): void;
  /** Route an endpoint `ip:targetPort` to a local app port. */
  addEndpointApp(ip: string, targetPort: number, appPort: number): void;
  /** Open a CONNECT to the waypoint as `sleep` (what ztunnel does). */
  tunnel(authority: string): Promise<http2.ClientHttp2Stream>;
  readonly backendHbone: HboneServer;
  readonly clientPool: HbonePool;
  readonly upstreamPool: HbonePool;
  close(): Promise<void>;
}

export async function startHarness(
  opts: { maxHeaderSize?: number; rand?: () => number; idleTimeoutMs?: number; upstreamIdleMs?: number } = {},
): Promise<Harness> {
  const pki = await createTestPki();
  const pems = async (id: typeof WAYPOINT_ID): Promise<ClientPems> => {
    const leaf = await pki.issue({ identity: id });
    return { certChain: leaf.chainPem, privateKey: leaf.keyPem, roots: pki.rootsPem };
  };
  const ctx = async (id: typeof WAYPOINT_ID): Promise<tls.SecureContext> => createHboneSecureContext(await pems(id));
  const sleepPems = await pems(SLEEP_ID);
  const sleepCtx = createHboneSecureContext(sleepPems);
  const [wpCtx, backendCtx] = await Promise.all([ctx(WAYPOINT_ID), ctx(BACKEND_ID)]);
  // Backend side: one HBONE server standing in for every endpoint's ztunnel.
  const apps = new Map<string, number>();
  const backendHbone = new HboneServer({
    contextFor: () => ({ secureContext: backendCtx, trustDomain: "cluster.local" }),
    onRequest: (req) => {
      const appPort = apps.get(req.authority ?? "");
      if (appPort === undefined) return req.reject(400);
      const sock = net.connect({ host: "127.0.0.1", port: appPort, allowHalfOpen: true });
      sock.once("error", () => req.reject(503));
      sock.once("connect", () => void pipeSocketStream(sock, req.accept()));
    },
  });
  const backendListener = net.createServer({ allowHalfOpen: true }, (s) => backendHbone.handleConnection(s));
  const backendPort = await listen(backendListener);
  // Endpoint IPs 10.x are fake: the upstream dialer sends every HBONE dial to the backend server,
  // except 10.255.x.x, which refuses (a dead node).
  const upstreamPool = new HbonePool({
    dial: (hop) =>
      new Promise((resolve, reject) => {
        const port = hop.ip.startsWith("10.255.") ? 1 : backendPort;
        const s = net.connect({ host: "127.0.0.1", port, noDelay: true });
        s.once("error", reject);
        s.once("connect", () => {
          s.off("error", reject);
          resolve(s);
        });
      }),
  });
  let state: WaypointState | undefined;
  let jwt: ReturnType<typeof compileJwtRules> = [];
  const metrics = new WaypointMetrics();
  const logs: AccessLogRecord[] = [];
  const waypoint = new WaypointServer({
    identity: WAYPOINT_ID,
    secureContext: () => wpCtx,
    state: () => state,
    jwtRules: () => jwt,
    pool: upstreamPool,
    metrics,
    accessLog: (r) => logs.push(r),
    sniffTimeoutMs: 1000,
    ...(opts.maxHeaderSize ? { maxHeaderSize: opts.maxHeaderSize } : {}),
    ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    ...(opts.upstreamIdleMs ? { upstreamIdleMs: opts.upstreamIdleMs } : {}),
    ...(opts.rand ? { rand: opts.rand } : {}),
  });
  const wpListener = net.createServer((s) => waypoint.handleConnection(s));
  const waypointPort = await listen(wpListener);
  const clientPool = new HbonePool({
    dial: () =>
      new Promise((resolve, reject) => {
        const s = net.connect({ host: "127.0.0.1", port: waypointPort, noDelay: true });
        s.once("error", reject);
        s.once("connect", () => resolve(s));
      }),
  });
  return {
    sleepPems,
    waypoint,
    metrics,
    logs,
    waypointPort,
    backendHbone,
    clientPool,
    upstreamPool,
    setConfig(c, jwks) {
      const cfg = create(pb.waypoint.WaypointConfigSchema, c);
      state = fromWaypointConfig(cfg);
      jwt = compileJwtRules(
        state.jwtRules.map((r) => ({ ...r, jwks: r.jwks || jwks || "" })),
        () => "",
      );
    },
    addEndpointApp(ip, targetPort, appPort) {
      apps.set(`${ip}:${targetPort}`, appPort);
    },
    tunnel(authority) {
      return clientPool.connect({
        sourceIdentity: SLEEP_ID,
        destinationIdentities: [WAYPOINT_ID],
        nextHop: socketAddress("127.0.0.1", waypointPort),
        sourceIp: undefined,
        secureContext: sleepCtx,
        headers: connectHeaders({ authority }),
      });
    },
    async close() {
      clientPool.close(true);
      upstreamPool.close(true);
      await waypoint.close(200);
      await backendHbone.close(200);
      await new Promise((r) => wpListener.close(r));
      await new Promise((r) => backendListener.close(r));
    },
  };
}

/**
 * A waypoint config of plain HTTP services in `bookinfo` on port 9080 (target 9080): each has a
 * VIP and zero or one endpoint (`undefined` = no healthy endpoint), identity `sa/backend`.
 */
export function httpServices(
  services: readonly { name: string; vip: string; endpoint: string | undefined }[],
): MessageInitShape<typeof pb.waypoint.WaypointConfigSchema> {
  const host = (name: string) => `${name}.bookinfo.svc.cluster.local`;
  return {
    namespace: "bookinfo",
    name: "waypoint",
    listeners: services.map((s) => ({
      hostname: host(s.name),
      name: s.name,
      namespace: "bookinfo",
      addresses: [s.vip],
      ports: [{ port: 9080, targetPort: 9080, appProtocol: "http" }],
    })),
    backends: services.map((s) => ({
      hostname: host(s.name),
      endpoints: s.endpoint
        ? [{ address: s.endpoint, identity: "spiffe://cluster.local/ns/bookinfo/sa/backend", ports: { 9080: 9080 } }]
        : [],
    })),
  };
}

/** One HTTP/1.1 request through a fresh tunnel. */
export function http1Via(
  h: Harness,
  authority: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return h.tunnel(authority).then(
    (stream) =>
      new Promise((resolve, reject) => {
        const req = http.request({
          method: opts.method ?? "GET",
          path: opts.path,
          headers: { host: authority, ...(opts.headers ?? {}) },
          createConnection: () => jsDuplex(stream) as net.Socket,
        });
        req.on("error", reject);
        req.once("response", (res) => {
          res.on("error", reject);
          let body = "";
          res.on("data", (c) => {
            body += c;
          });
          res.once("end", () => {
            // Half-close like ztunnel does when the app closes cleanly (END_STREAM, not RST):
            // see the RST_STREAM note in docs/architecture/waypoint.md.
            stream.end();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
        });
        req.end(opts.body);
      }),
  );
}

/** A CONNECT to the waypoint driven byte by byte: what came back so far, and when it closed. */
export interface RawTunnel {
  readonly stream: http2.ClientHttp2Stream;
  /** Everything the waypoint sent so far (latin1). */
  text(): string;
  /** Resolves once the stream ended or closed. */
  readonly closed: Promise<void>;
}

export async function rawTunnel(
  h: Harness,
  authority: string,
  onData?: (text: string, stream: http2.ClientHttp2Stream) => void,
): Promise<RawTunnel> {
  const stream = await h.tunnel(authority);
  let text = "";
  stream.on("error", () => {});
  stream.on("data", (c: Buffer) => {
    text += c.toString("latin1");
    onData?.(text, stream);
  });
  const closed = new Promise<void>((r) => {
    stream.once("end", () => r());
    stream.once("close", () => r());
  });
  return { stream, text: () => text, closed };
}

/** Raw bytes into a tunnel; resolves with everything the waypoint sent until it closed the stream. */
export async function rawVia(
  h: Harness,
  authority: string,
  bytes: string | Buffer,
  timeoutMs = 3000,
): Promise<{ text: string; closed: boolean }> {
  const t = await rawTunnel(h, authority);
  t.stream.write(bytes);
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    t.closed.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!closed) t.stream.close();
  return { text: t.text(), closed };
}

/** A local TCP port whose every connection becomes a CONNECT to the waypoint (a ztunnel outbound stand-in). */
export async function outboundPort(h: Harness, authority: string): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.on("error", () => sock.destroy());
    h.tunnel(authority).then(
      (stream) => void pipeSocketStream(sock, stream),
      () => sock.destroy(),
    );
  });
  return { port: await listen(server), server };
}
