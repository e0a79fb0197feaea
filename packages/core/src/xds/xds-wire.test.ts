import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pb from "@ambit/api/pb";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { deltaAdsMethod } from "./ads-method.js";
import { joinRejections } from "./delta-ads-client.js";
import { buildZtunnelNode, nodeMetadata, parseProxyNodeId, ztunnelNodeId } from "./node.js";
import { packResource } from "./pack-resource.js";
import { encodeDeltaResponse, encodeResource, frameResources } from "./response-encoder.js";
import { TypeUrl } from "./type-urls.js";
import { contentVersion, createNonceSource } from "./versions.js";

const policy = (name: string) =>
  packResource(pb.security.AuthorizationSchema, { name, namespace: "ns" }, `ns/${name}`, ["alias"]);

describe("xds wire helpers", () => {
  it("spliced responses decode exactly like a normally encoded message", () => {
    const r1 = policy("a");
    const r2 = policy("b");
    const header = {
      typeUrl: TypeUrl.authorization,
      nonce: "n1",
      systemVersionInfo: "7",
      removedResources: ["ns/x"],
    };
    const fromList = encodeDeltaResponse(header, [encodeResource(r1), encodeResource(r2)]);
    const fromBody = encodeDeltaResponse(header, frameResources([encodeResource(r1), encodeResource(r2)]));
    assert.deepEqual(fromList, fromBody);
    const msg = fromBinary(pb.discovery.DeltaDiscoveryResponseSchema, fromList);
    assert.equal(msg.typeUrl, TypeUrl.authorization);
    assert.equal(msg.nonce, "n1");
    assert.equal(msg.systemVersionInfo, "7");
    assert.deepEqual(msg.removedResources, ["ns/x"]);
    assert.deepEqual(
      msg.resources.map((r) => [r.name, r.version, r.aliases, r.resource?.typeUrl]),
      [
        ["ns/a", r1.version, ["alias"], "type.googleapis.com/istio.security.Authorization"],
        ["ns/b", r2.version, ["alias"], "type.googleapis.com/istio.security.Authorization"],
      ],
    );
    // The grpc codec reads the same bytes.
    assert.equal(deltaAdsMethod.responseDeserialize(Buffer.from(fromList)).resources.length, 2);
  });

  it("hand-encoded Resource bytes equal protobuf-es output", () => {
    const cases = [
      { name: "ns/a", version: "0123456789abcdef", aliases: ["net/10.0.0.1", "", "ü"] },
      { name: "", version: "", aliases: [] },
      { name: "x".repeat(200), version: "v", aliases: ["a".repeat(20000)] },
    ];
    const anys = [
      policy("p").resource,
      { ...policy("q").resource, value: new Uint8Array(0) },
      { ...policy("r").resource, typeUrl: "" },
      { ...policy("s").resource, value: new Uint8Array(70000).fill(7) },
    ];
    for (const c of cases) {
      for (const resource of anys) {
        const expected = toBinary(
          pb.discovery.ResourceSchema,
          create(pb.discovery.ResourceSchema, { ...c, resource }),
        );
        assert.deepEqual(new Uint8Array(encodeResource({ ...c, resource })), expected);
      }
    }
  });

  it("packResource packs exactly what anyPack does", () => {
    const init = { name: "a", namespace: "ns" };
    assert.deepEqual(
      policy("a").resource,
      anyPack(pb.security.AuthorizationSchema, create(pb.security.AuthorizationSchema, init)),
    );
  });

  it("large resources get multi-byte length prefixes", () => {
    const big = packResource(
      pb.security.AuthorizationSchema,
      { name: "x".repeat(300), namespace: "ns" },
      "ns/big",
    );
    const msg = fromBinary(
      pb.discovery.DeltaDiscoveryResponseSchema,
      encodeDeltaResponse({ typeUrl: "t", nonce: "n", systemVersionInfo: "", removedResources: [] }, [
        encodeResource(big),
      ]),
    );
    assert.equal(msg.resources[0]?.name, "ns/big");
  });

  it("versions are content hashes: equal content, equal version", () => {
    assert.equal(policy("a").version, policy("a").version);
    assert.notEqual(policy("a").version, policy("b").version);
    assert.equal(contentVersion(new Uint8Array([1])).length, 16);
  });

  it("nonces are unique per source; keyed nonces are stable and distinct from counters", () => {
    const n = createNonceSource();
    const seen = new Set([n.next(), n.next(), n.next()]);
    assert.equal(seen.size, 3);
    assert.equal(n.keyed("full-1-A"), n.keyed("full-1-A"));
    assert.ok(!seen.has(n.keyed("1")));
    assert.notEqual(createNonceSource().next(), createNonceSource().next());
  });

  it("ztunnel node id and metadata follow wire-spec §3.4", () => {
    const node = buildZtunnelNode({
      ip: "10.0.0.5",
      podName: "zt-1",
      podNamespace: "istio-system",
      nodeName: "n1",
    });
    assert.equal(node.id, "ztunnel~10.0.0.5~zt-1.istio-system~istio-system.svc.cluster.local");
    assert.deepEqual(nodeMetadata(node), {
      NAME: "zt-1",
      NAMESPACE: "istio-system",
      INSTANCE_IPS: "10.0.0.5",
      NODE_NAME: "n1",
      CLUSTER_ID: "Kubernetes",
    });
    assert.equal(
      ztunnelNodeId({ podName: "p", podNamespace: "n" }),
      "ztunnel~1.1.1.1~p.n~n.svc.cluster.local",
    );
    assert.deepEqual(parseProxyNodeId(node.id), {
      type: "ztunnel",
      ip: "10.0.0.5",
      id: "zt-1.istio-system",
      domain: "istio-system.svc.cluster.local",
    });
    assert.equal(parseProxyNodeId("garbage"), undefined);
    assert.equal(parseProxyNodeId("a~~c~d"), undefined);
  });

  it("NACK messages are '<name>: <reason>' joined by '; '", () => {
    assert.equal(
      joinRejections([
        { name: "a", reason: "bad" },
        { name: "b", reason: "worse" },
      ]),
      "a: bad; b: worse",
    );
  });
});
