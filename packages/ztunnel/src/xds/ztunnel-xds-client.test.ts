import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as pb from "@ambit/api/pb";
import { adsServiceDefinition, type DeltaRequest, type DeltaResponseFrame, TypeUrl } from "@ambit/core";
import { createTestPki } from "@ambit/testing";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { ProxyState } from "../state/proxy-state.js";
import { ZtunnelXdsClient } from "./ztunnel-xds-client.js";

type WorkloadInit = MessageInitShape<typeof pb.workload.WorkloadSchema>;
type Call = grpc.ServerDuplexStream<DeltaRequest, DeltaResponseFrame>;

/** A scripted ADS server: the test decides every response and sees every request. */
class ScriptedAds {
  readonly calls: { call: Call; requests: DeltaRequest[]; metadata: grpc.Metadata }[] = [];
  private wake: (() => void) | undefined;
  private nonce = 0;

  handler = (call: Call): void => {
    const entry = { call, requests: [] as DeltaRequest[], metadata: call.metadata };
    this.calls.push(entry);
    call.on("data", (r: DeltaRequest) => {
      entry.requests.push(r);
      this.wake?.();
    });
    call.on("error", () => {});
    this.wake?.();
  };

  get current() {
    const c = this.calls.at(-1);
    if (!c) throw new Error("no stream yet");
    return c;
  }

  async waitFor<T>(f: () => T | undefined, timeoutMs = 2000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let v: T | undefined;
      try {
        v = f();
      } catch {
        v = undefined; // no stream yet
      }
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Wait for the request with this response nonce on the current stream. */
  reply(nonce: string): Promise<DeltaRequest> {
    return this.waitFor(() => this.current.requests.find((r) => r.responseNonce === nonce));
  }

  push(
    typeUrl: string,
    resources: { name: string; version: string; any: pb.discovery.Resource["resource"] }[],
    removed: string[] = [],
  ): string {
    this.nonce += 1;
    const nonce = `n${this.nonce}`;
    this.current.call.write(
      create(pb.discovery.DeltaDiscoveryResponseSchema, {
        typeUrl,
        nonce,
        removedResources: removed,
        resources: resources.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
      }),
    );
    return nonce;
  }
}

function workload(init: WorkloadInit) {
  const addr = create(pb.workload.AddressSchema, {
    type: { case: "workload", value: create(pb.workload.WorkloadSchema, init) },
  });
  return anyPack(pb.workload.AddressSchema, addr);
}
const W1 = "Kubernetes//Pod/default/a";
const W2 = "Kubernetes//Pod/default/b";
const wA = (bytes: number[], v: string) => ({
  name: W1,
  version: v,
  any: workload({ uid: W1, name: "a", namespace: "default", addresses: [Uint8Array.from(bytes)] }),
});
const policyAny = (ns: string, name: string) =>
  anyPack(
    pb.security.AuthorizationSchema,
    create(pb.security.AuthorizationSchema, { name, namespace: ns, scope: pb.security.Scope.NAMESPACE }),
  );

describe("ZtunnelXdsClient against a scripted ADS server over TLS", () => {
  const ads = new ScriptedAds();
  const server = new grpc.Server();
  const state = new ProxyState();
  let client: ZtunnelXdsClient;
  const nacks: string[] = [];

  before(async () => {
    const pki = await createTestPki();
    const leaf = await pki.issue({ dnsNames: ["istiod.istio-system.svc"], ips: ["127.0.0.1"] });
    server.addService(adsServiceDefinition, { DeltaAggregatedResources: ads.handler });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        "127.0.0.1:0",
        grpc.ServerCredentials.createSsl(null, [
          { cert_chain: Buffer.from(leaf.chainPem), private_key: Buffer.from(leaf.keyPem) },
        ]),
        (e, p) => (e ? reject(e) : resolve(p)),
      ),
    );
    client = new ZtunnelXdsClient({
      address: `127.0.0.1:${port}`,
      rootCertPem: leaf.rootsPem,
      serverName: "istiod.istio-system.svc",
      token: () => "tok-1",
      node: { ip: "10.0.0.9", podName: "ztunnel-x", podNamespace: "istio-system", nodeName: "node-1" },
      state,
      backoff: { initialMs: 10, maxMs: 50 },
      channelOptions: { "grpc.use_local_subchannel_pool": 1 },
      onEvent: (e) => {
        if (e.t === "nack") nacks.push(e.message);
      },
    });
    client.start();
  });
  after(() => {
    client.close();
    server.forceShutdown();
  });

  it("subscribes Address then Authorization (wildcard, node, token) and is ready only after both ACKs", async () => {
    const reqs = await ads.waitFor(() =>
      ads.current.requests.length >= 2 ? ads.current.requests : undefined,
    );
    assert.deepEqual(
      reqs.map((r) => r.typeUrl),
      [TypeUrl.address, TypeUrl.authorization],
    );
    assert.equal(reqs[0]?.node?.id, "ztunnel~10.0.0.9~ztunnel-x.istio-system~istio-system.svc.cluster.local");
    assert.equal(reqs[0]?.node?.metadata?.["NODE_NAME"], "node-1");
    assert.deepEqual(reqs[0]?.resourceNamesSubscribe, []);
    assert.deepEqual(ads.current.metadata.get("authorization"), ["Bearer tok-1"]);
    assert.deepEqual(ads.current.metadata.get("clusterid"), ["Kubernetes"]);

    const n1 = ads.push(TypeUrl.address, [wA([10, 0, 0, 1], "v1")]);
    const ack1 = await ads.reply(n1);
    assert.equal(ack1.errorDetail, undefined);
    assert.equal(client.isReady(), false);
    const n2 = ads.push(TypeUrl.authorization, [
      { name: "default/p", version: "p1", any: policyAny("default", "p") },
    ]);
    await ads.reply(n2);
    await client.ready;
    assert.equal(client.isReady(), true);
    assert.equal(state.findWorkloadByAddress("", "10.0.0.1")?.uid, W1);
    assert.equal(state.findPolicy("default/p")?.scope, "namespace");
  });

  it("NACKs a 5-byte address with the reason, keeps the old version, still applies good resources", async () => {
    const good = {
      name: W2,
      version: "b1",
      any: workload({
        uid: W2,
        name: "b",
        namespace: "default",
        addresses: [Uint8Array.from([10, 0, 0, 2])],
      }),
    };
    const n = ads.push(TypeUrl.address, [wA([10, 0, 0, 1, 7], "v2"), good]);
    const nack = await ads.reply(n);
    assert.equal(
      nack.errorDetail?.message,
      `${W1}: workload addresses: address must be 4 or 16 bytes, got 5`,
    );
    assert.equal(state.findWorkloadByUid(W1)?.addresses[0], "10.0.0.1");
    assert.equal(state.findWorkloadByAddress("", "10.0.0.2")?.uid, W2);
  });

  it("rejects LEGACY_ISTIO_MTLS and a policy whose name is not ns/name, joining reasons with '; '", async () => {
    const legacy = {
      name: W1,
      version: "v3",
      any: workload({
        uid: W1,
        namespace: "default",
        tunnelProtocol: pb.workload.TunnelProtocol.LEGACY_ISTIO_MTLS,
      }),
    };
    const bad2 = {
      name: "Kubernetes//Pod/default/zz",
      version: "z",
      any: workload({ uid: "other", namespace: "default" }),
    };
    const n = ads.push(TypeUrl.address, [legacy, bad2]);
    const nack = await ads.reply(n);
    assert.equal(
      nack.errorDetail?.message,
      `${W1}: workload: tunnel protocol LEGACY_ISTIO_MTLS is not supported; Kubernetes//Pod/default/zz: resource name does not match workload uid other`,
    );
    const n2 = ads.push(TypeUrl.authorization, [
      { name: "default/wrong", version: "x", any: policyAny("default", "p2") },
    ]);
    assert.match(
      (await ads.reply(n2)).errorDetail?.message ?? "",
      /^default\/wrong: resource name does not match policy key default\/p2$/,
    );
    assert.equal(state.findPolicy("default/p2"), undefined);
  });

  it("applies removals", async () => {
    const n = ads.push(TypeUrl.address, [], [W2]);
    assert.equal((await ads.reply(n)).errorDetail, undefined);
    assert.equal(state.findWorkloadByUid(W2), undefined);
  });

  it("reconnects after the stream breaks and declares what it holds in initial_resource_versions", async () => {
    const before = ads.calls.length;
    ads.current.call.emit("error", { code: grpc.status.UNAVAILABLE, details: "bye" });
    await ads.waitFor(() =>
      ads.calls.length > before && ads.current.requests.length >= 2 ? true : undefined,
    );
    const [addr, auth] = ads.current.requests;
    // W1 stays at the last version it accepted (v1), not the rejected v2/v3.
    assert.deepEqual(addr?.initialResourceVersions, { [W1]: "v1" });
    assert.deepEqual(auth?.initialResourceVersions, { "default/p": "p1" });
    assert.equal(client.isReady(), true);
    assert.ok(nacks.length >= 3);
  });
});
