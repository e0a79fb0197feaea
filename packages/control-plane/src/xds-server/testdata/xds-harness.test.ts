// Test harness for the xDS server tests: real TLS (test PKI), real gRPC, port 0, a raw delta ADS
// client that exposes every response, and a tiny in-test "generator" building Address resources.
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as pb from "@ambit/api/pb";
import { contentVersion, type DeltaRequest, type DeltaResponse, deltaAdsMethod, TypeUrl } from "@ambit/core";
import { createTestPki } from "@ambit/testing";
import * as grpc from "@grpc/grpc-js";
import type { XdsResource } from "../../model/xds-generator.js";
import { ControlPlaneServer } from "../../server/grpc-server.js";
import type { XdsSnapshotResources } from "../snapshot-store.js";
import { XdsServer, type XdsServerOptions } from "../xds-server.js";

type RequestInit = MessageInitShape<typeof pb.discovery.DeltaDiscoveryRequestSchema>;

export const GOOD_TOKEN = "Bearer node-token:";

/** Accepts `authorization: Bearer node-token:<node>`; anything else throws. */
export const testAuthenticator = {
  authenticate(md: grpc.Metadata): { node: string } {
    const v = md.get("authorization")[0];
    if (typeof v !== "string" || !v.startsWith(GOOD_TOKEN)) throw new Error("missing or bad bearer token");
    return { node: v.slice(GOOD_TOKEN.length) };
  },
};

export function workloadResource(uid: string, ip: string, extra = ""): XdsResource {
  const octets = ip.split(".").map(Number);
  const addr = create(pb.workload.AddressSchema, {
    type: {
      case: "workload",
      value: create(pb.workload.WorkloadSchema, {
        uid,
        name: uid.split("/").pop() ?? uid,
        namespace: "default",
        addresses: [new Uint8Array(octets)],
        canonicalRevision: extra,
      }),
    },
  });
  const any = anyPack(pb.workload.AddressSchema, addr);
  return { name: uid, version: contentVersion(toBinary(pb.workload.AddressSchema, addr)), aliases: [`/${ip}`], resource: any };
}

export function policyResource(name: string, action: "allow" | "deny" = "allow"): XdsResource {
  const [ns, n] = name.split("/") as [string, string];
  const auth = create(pb.security.AuthorizationSchema, {
    name: n,
    namespace: ns,
    action: action === "allow" ? pb.security.Action.ALLOW : pb.security.Action.DENY,
    scope: pb.security.Scope.NAMESPACE,
  });
  const any = anyPack(pb.security.AuthorizationSchema, auth);
  return {
    name,
    version: contentVersion(toBinary(pb.security.AuthorizationSchema, auth)),
    aliases: [],
    resource: any,
  };
}

/** Build a snapshot map from resource lists. */
export function snapshotOf(address: XdsResource[], authorization: XdsResource[] = []): XdsSnapshotResources {
  return new Map([
    [TypeUrl.address, new Map(address.map((r) => [r.name, r]))],
    [TypeUrl.authorization, new Map(authorization.map((r) => [r.name, r]))],
  ]);
}

export interface TestServer {
  readonly xds: XdsServer;
  readonly server: ControlPlaneServer;
  readonly port: number;
  readonly creds: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  stop(): Promise<void>;
}

export async function startTestServer(opts: Partial<XdsServerOptions> = {}): Promise<TestServer> {
  const pki = await createTestPki();
  const leaf = await pki.issue({ dnsNames: ["localhost"], ips: ["127.0.0.1"] });
  const server = new ControlPlaneServer({
    host: "127.0.0.1",
    port: 0,
    tls: { certChainPem: leaf.chainPem, keyPem: leaf.keyPem },
  });
  const xds = new XdsServer({ authenticator: testAuthenticator, ...opts });
  xds.register(server);
  const port = await server.start();
  return {
    xds,
    server,
    port,
    creds: grpc.credentials.createSsl(Buffer.from(leaf.rootsPem)),
    channelOptions: { "grpc.ssl_target_name_override": "localhost", "grpc.use_local_subchannel_pool": 1 },
    stop: () => server.stop(100),
  };
}

/** A raw delta ADS stream for protocol tests: every response is queued for the test to inspect. */
export class RawAdsClient {
  private readonly client: grpc.Client;
  readonly call: grpc.ClientDuplexStream<DeltaRequest, DeltaResponse>;
  private readonly queue: DeltaResponse[] = [];
  private waiter: (() => void) | undefined;
  readonly status: Promise<grpc.StatusObject>;

  constructor(t: TestServer, opts: { token?: string | undefined; read?: boolean } = {}) {
    this.client = new grpc.Client(`127.0.0.1:${t.port}`, t.creds, t.channelOptions);
    const md = new grpc.Metadata();
    const token = "token" in opts ? opts.token : `${GOOD_TOKEN}node-a`;
    if (token !== undefined) md.set("authorization", token);
    this.call = this.client.makeBidiStreamRequest(
      deltaAdsMethod.path,
      deltaAdsMethod.requestSerialize,
      deltaAdsMethod.responseDeserialize,
      md,
    );
    this.status = new Promise((resolve) => this.call.on("status", resolve));
    this.call.on("error", () => {});
    if (opts.read !== false) {
      this.call.on("data", (r: DeltaResponse) => {
        this.queue.push(r);
        this.waiter?.();
      });
    }
  }

  send(init: RequestInit): void {
    this.call.write(create(pb.discovery.DeltaDiscoveryRequestSchema, init));
  }

  /** First request of a type (carries the node). */
  subscribe(typeUrl: string, init: RequestInit = {}): void {
    const node = create(pb.envoyCore.NodeSchema, {
      id: "ztunnel~10.0.0.9~zt.istio-system~istio-system.svc.cluster.local",
    });
    this.send({ ...init, node, typeUrl });
  }

  ack(r: DeltaResponse): void {
    this.send({ typeUrl: r.typeUrl, responseNonce: r.nonce });
  }

  async next(timeoutMs = 2000): Promise<DeltaResponse> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a response");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.queue.shift() as DeltaResponse;
  }

  /** Assert that nothing arrives for `ms`. */
  async expectNothing(ms = 150): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.queue.length > 0) throw new Error(`unexpected response: ${this.queue.length} queued`);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

export function names(r: DeltaResponse): string[] {
  return r.resources.map((x) => x.name).sort();
}
