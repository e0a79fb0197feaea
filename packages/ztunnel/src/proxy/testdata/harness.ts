/**
 * Loopback harness for proxy executor tests: two pods on 127.0.0.x (sleep = client, web = server),
 * real certificates, a real ProxyState, real HBONE between the two proxy sets. The client's pool
 * dials the server set's HBONE port whenever a plan says :15008.
 */
import net from "node:net";
import type tls from "node:tls";
import type { AuthorizationPolicy, Identity, SocketAddress, Workload } from "@ambit/api";
import { formatIdentity, Ports, socketAddress } from "@ambit/api";
import { createHboneSecureContext } from "@ambit/core";
import { ConnectionTelemetry, ProxyMetrics } from "../../telemetry/index.js";
import { ConnectionManager } from "../connection-manager.js";
import type { CertProvider } from "../lookup.js";
import { hostPodNetwork, type PodNetwork } from "../pod-network.js";
import { LocalInboundRegistry, type ProxyInputs } from "../proxy-inputs.js";
import { createProxySet, type ProxySet } from "../proxy-set.js";
import { stateOf, wl } from "./mesh.js";

export const SLEEP_IP = "127.0.0.2";
export const WEB_IP = "127.0.0.1";

/** What the harness needs from a PKI (structurally @ambit/testing's TestPki). */
export interface LeafIssuer {
  readonly rootsPem: string;
  issue(o: { identity: Identity }): Promise<{ chainPem: string; keyPem: string }>;
}

export class MapCerts implements CertProvider {
  readonly byId = new Map<string, { secureContext: tls.SecureContext; identity: Identity }>();

  async add(pki: LeafIssuer, id: Identity): Promise<tls.SecureContext> {
    const leaf = await pki.issue({ identity: id });
    const secureContext = createHboneSecureContext({
      certChain: leaf.chainPem,
      privateKey: leaf.keyPem,
      roots: pki.rootsPem,
    });
    this.byId.set(formatIdentity(id), { secureContext, identity: id });
    return secureContext;
  }

  findCertificate(id: Identity) {
    return this.byId.get(formatIdentity(id));
  }

  async fetchCertificate(id: Identity) {
    const c = this.byId.get(formatIdentity(id));
    if (!c) throw new Error(`no certificate for ${formatIdentity(id)}`);
    return c;
  }
}

export interface Harness {
  readonly sleep: Workload;
  readonly web: Workload;
  readonly state: ReturnType<typeof stateOf>;
  readonly inputs: ProxyInputs;
  readonly access: Record<string, unknown>[];
  readonly client: ProxySet;
  readonly server: ProxySet;
  readonly certs: MapCerts;
  /** Original destination the next captured connection reports. */
  target: SocketAddress | undefined;
  connectOutbound(): net.Socket;
  close(): Promise<void>;
}

export async function startHarness(
  pki: LeafIssuer,
  opts: { policies?: AuthorizationPolicy[]; sameNode?: boolean; extra?: Workload[] } = {},
): Promise<Harness> {
  const sleep = wl("sleep", SLEEP_IP);
  const web = wl("web", WEB_IP);
  const state = stateOf([sleep, web, ...(opts.extra ?? [])], [], opts.policies ?? []);
  const certs = new MapCerts();
  await certs.add(pki, sleep.identity);
  await certs.add(pki, web.identity);
  const access: Record<string, unknown>[] = [];
  const connections = new ConnectionManager(state);
  const inputs: ProxyInputs = {
    state,
    certs,
    telemetry: new ConnectionTelemetry(new ProxyMetrics(), (l) => access.push(l)),
    connections,
    ...(opts.sameNode ? { local: new LocalInboundRegistry() } : {}),
    connectTimeoutMs: 2_000,
  };
  connections.watch(state);
  const ports = { outbound: 0, inboundPlaintext: 0, hbone: 0 };
  const serverNet = hostPodNetwork({ host: WEB_IP, originalDst: () => h.target });
  const server = await createProxySet(inputs, { name: "default/web", pod: () => state.findWorkloadByUid(web.uid), network: serverNet, ports });
  const base = hostPodNetwork({ host: SLEEP_IP, originalDst: () => h.target });
  const clientNet: PodNetwork = {
    listen: base.listen,
    originalDst: base.originalDst,
    // The client pod dials from its own IP; :15008 means "the server pod's HBONE listener".
    connect: (to, o) =>
      base.connect(to.port === Ports.hbone ? socketAddress(to.ip, server.ports.hbone) : to, {
        sourceIp: SLEEP_IP,
        ...(o?.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      }),
  };
  const client = await createProxySet(inputs, {
    name: "default/sleep",
    pod: () => state.findWorkloadByUid(sleep.uid),
    network: clientNet,
    ports,
    pool: { idleReleaseMs: 200 },
  });
  const h: Harness = {
    sleep,
    web,
    state,
    inputs,
    access,
    client,
    server,
    certs,
    target: undefined,
    connectOutbound: () =>
      net.connect({ host: SLEEP_IP, port: client.ports.outbound, localAddress: SLEEP_IP, allowHalfOpen: true }),
    async close() {
      await client.stop(200);
      await server.stop(200);
    },
  };
  return h;
}

/** An app on the web pod's IP: echoes, and answers FIN with `|eof` + FIN (shows half-close). */
export async function startApp(host = WEB_IP): Promise<{ server: net.Server; port: number; peers: string[] }> {
  const peers: string[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    peers.push(s.remoteAddress ?? "");
    s.on("error", () => s.destroy());
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end("|eof"));
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as net.AddressInfo).port, peers };
}

/** Write `msg`, half-close, and collect everything until the peer's FIN (or a reset). */
export function roundTrip(s: net.Socket, msg: string): Promise<{ data: string; error?: string }> {
  return new Promise((resolve) => {
    let data = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => {
      data += d;
    });
    s.on("end", () => resolve({ data }));
    s.on("error", (e: NodeJS.ErrnoException) => resolve({ data, error: e.code ?? e.message }));
    s.on("close", () => resolve({ data, error: "closed" }));
    s.write(msg);
    s.end();
  });
}
