// The core DeltaAdsClient engine against the real XdsServer over TLS: both ends of the wire.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildZtunnelNode,
  DeltaAdsClient,
  type DeltaTypeHandler,
  type DeltaUpdate,
  TypeUrl,
} from "@ambit/core";
import * as grpc from "@grpc/grpc-js";
import {
  GOOD_TOKEN,
  policyResource,
  snapshotOf,
  startTestServer,
  type TestServer,
  workloadResource,
} from "./testdata/xds-harness.test.js";

const w1 = workloadResource("Kubernetes//Pod/default/a", "10.0.0.1");
const w2 = workloadResource("Kubernetes//Pod/default/b", "10.0.0.2");
const w3 = workloadResource("Kubernetes//Pod/default/c", "10.0.0.3");
const p1 = policyResource("default/p");

function recorder(typeUrl: string, reject?: (name: string) => string | undefined) {
  const updates: DeltaUpdate[] = [];
  const handler: DeltaTypeHandler = {
    typeUrl,
    apply(u) {
      updates.push(u);
      return u.resources.flatMap((r) => {
        const reason = reject?.(r.name);
        return reason ? [{ name: r.name, reason }] : [];
      });
    },
  };
  return { handler, updates };
}

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("DeltaAdsClient ⇄ XdsServer", () => {
  let t: TestServer;
  let client: DeltaAdsClient;
  const addr = recorder(TypeUrl.address, (n) => (n === w3.name ? "bad address" : undefined));
  const auth = recorder(TypeUrl.authorization);

  before(async () => {
    t = await startTestServer();
    t.xds.update(snapshotOf([w1, w2], [p1]));
    client = new DeltaAdsClient({
      address: `127.0.0.1:${t.port}`,
      credentials: t.creds,
      channelOptions: t.channelOptions,
      metadata: () => {
        const md = new grpc.Metadata();
        md.set("authorization", `${GOOD_TOKEN}node-e`);
        return md;
      },
      node: buildZtunnelNode({
        ip: "10.0.0.9",
        podName: "zt",
        podNamespace: "istio-system",
        nodeName: "node-e",
      }),
      subscriptions: [{ handler: addr.handler }, { handler: auth.handler }],
      backoff: { initialMs: 10, maxMs: 100 },
    });
    client.start();
  });
  after(async () => {
    client.close();
    await t.stop();
  });

  it("gets the initial push of both types and ACKs them", async () => {
    await waitFor(() => client.isAcked(TypeUrl.address) && client.isAcked(TypeUrl.authorization));
    assert.deepEqual(addr.updates[0]?.resources.map((r) => r.name).sort(), [w1.name, w2.name]);
    assert.deepEqual(
      auth.updates[0]?.resources.map((r) => r.name),
      [p1.name],
    );
    const st = t.xds.status().streams[0];
    assert.equal(st?.metadata["NODE_NAME"], "node-e");
    await waitFor(() => t.xds.status().streams[0]?.types.every((x) => x.sync === "synced") === true);
  });

  it("a NACKed resource is reported to the server with the engine's message format", async () => {
    t.xds.update(snapshotOf([w1, w2, w3], [p1]));
    await waitFor(() => t.xds.status().streams[0]?.types[0]?.sync === "nacked");
    assert.equal(t.xds.status().streams[0]?.types[0]?.lastNack?.message, `${w3.name}: bad address`);
    assert.equal(client.status()[0]?.lastNack, `${w3.name}: bad address`);
  });

  it("after a reconnect only changed resources are resent and deleted ones reported removed", async () => {
    const before = addr.updates.length;
    t.xds.disconnectAll();
    // While the client is away: w2 changes, w1 is deleted.
    const w2b = workloadResource(w2.name, "10.0.0.2", "v2");
    t.xds.update(snapshotOf([w2b, w3], [p1]));
    await waitFor(() => addr.updates.length > before);
    const u = addr.updates[before];
    // w3 was rejected, so the client never declared it: it is offered again, with the change of w2.
    assert.deepEqual(u?.resources.map((r) => r.name).sort(), [w2.name, w3.name].sort());
    assert.deepEqual(u?.removed, [w1.name]);
    await waitFor(() => auth.updates.length >= 2);
    assert.deepEqual(auth.updates.at(-1)?.resources, [], "unchanged policy not resent");
  });
});
