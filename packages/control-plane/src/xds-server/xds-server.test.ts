import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TypeUrl } from "@ambit/core";
import * as grpc from "@grpc/grpc-js";
import {
  names,
  policyResource,
  RawAdsClient,
  snapshotOf,
  startTestServer,
  type TestServer,
  workloadResource,
} from "./testdata/xds-harness.test.js";

const A = TypeUrl.address;
const AUTH = TypeUrl.authorization;
const w1 = workloadResource("Kubernetes//Pod/default/a", "10.0.0.1");
const w2 = workloadResource("Kubernetes//Pod/default/b", "10.0.0.2");
const w3 = workloadResource("Kubernetes//Pod/default/c", "10.0.0.3");
const p1 = policyResource("default/allow-a");

describe("XdsServer (delta ADS over TLS)", () => {
  let t: TestServer;
  const clients: RawAdsClient[] = [];
  const open = (opts?: ConstructorParameters<typeof RawAdsClient>[1]) => {
    const c = new RawAdsClient(t, opts);
    clients.push(c);
    return c;
  };
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await t.stop();
  });

  it("wildcard subscribe gets everything, Address then Authorization; ACK makes the stream synced", async () => {
    t.xds.update(snapshotOf([w1, w2], [p1]));
    const c = open();
    c.subscribe(A);
    c.subscribe(AUTH);
    const r1 = await c.next();
    assert.equal(r1.typeUrl, A);
    assert.deepEqual(names(r1), [w1.name, w2.name].sort());
    assert.deepEqual(r1.resources.map((r) => r.version).sort(), [w1.version, w2.version].sort());
    assert.ok(r1.nonce.length > 0);
    const r2 = await c.next();
    assert.equal(r2.typeUrl, AUTH);
    assert.deepEqual(names(r2), [p1.name]);
    c.ack(r1);
    c.ack(r2);
    await waitFor(() => streamOf(t, "node-a")?.types.every((x) => x.sync === "synced") === true);
    const st = streamOf(t, "node-a");
    assert.equal(st?.nodeId.startsWith("ztunnel~10.0.0.9~"), true);
    assert.equal(st?.types[0]?.acks, 1);
    c.close();
  });

  it("named subscription by alias returns only that resource; more names later send only the new one", async () => {
    t.xds.update(snapshotOf([w1, w2, w3], [p1]));
    const c = open();
    c.subscribe(A, { resourceNamesSubscribe: ["/10.0.0.2"] });
    const r1 = await c.next();
    assert.deepEqual(names(r1), [w2.name]);
    assert.deepEqual(r1.resources[0]?.aliases, ["/10.0.0.2"]);
    c.ack(r1);
    c.send({ typeUrl: A, resourceNamesSubscribe: [w3.name] });
    const r2 = await c.next();
    assert.deepEqual(names(r2), [w3.name]);
    c.ack(r2);
    // A change to a resource this stream did not subscribe to is not pushed.
    t.xds.update(snapshotOf([workloadResource(w1.name, "10.0.0.1", "v2"), w2, w3], [p1]));
    await c.expectNothing();
    c.close();
  });

  it("NACK is recorded, the same version is not re-pushed, the next change is", async () => {
    t.xds.update(snapshotOf([w1], [p1]));
    const c = open({ token: "Bearer node-token:node-nack" });
    c.subscribe(A);
    const r1 = await c.next();
    c.send({
      typeUrl: A,
      responseNonce: r1.nonce,
      errorDetail: { code: 3, message: `${w1.name}: bad address` },
    });
    await c.expectNothing();
    const st = streamOf(t, "node-nack");
    assert.equal(st?.types[0]?.sync, "nacked");
    assert.equal(st?.types[0]?.lastNack?.message, `${w1.name}: bad address`);
    assert.equal(st?.types[0]?.lastNack?.nonce, r1.nonce);
    const w1b = workloadResource(w1.name, "10.0.0.1", "fixed");
    t.xds.update(snapshotOf([w1b], [p1]));
    const r2 = await c.next();
    assert.deepEqual(
      r2.resources.map((r) => r.version),
      [w1b.version],
    );
    c.close();
  });

  it("an ACK with a stale nonce does not release flow control", async () => {
    t.xds.update(snapshotOf([w1], [p1]));
    const c = open();
    c.subscribe(A);
    await c.next(); // never ACKed
    c.send({ typeUrl: A, responseNonce: "not-a-nonce" });
    t.xds.update(snapshotOf([w1, w2], [p1]));
    await c.expectNothing();
    c.close();
  });

  it("removal, and pushing only what changed between snapshots", async () => {
    t.xds.update(snapshotOf([w1, w2, w3], [p1]));
    const c = open();
    c.subscribe(A);
    c.ack(await c.next());
    // Same content in fresh objects: nothing is pushed.
    t.xds.update(
      snapshotOf(
        [w1, w2, w3].map((w) => ({ ...w })),
        [p1],
      ),
    );
    await c.expectNothing(100);
    const w2b = workloadResource(w2.name, "10.0.0.2", "new");
    t.xds.update(snapshotOf([w1, w2b], [p1]));
    const r = await c.next();
    assert.deepEqual(names(r), [w2.name]);
    assert.deepEqual(r.removedResources, [w3.name]);
    c.close();
  });

  it("reconnect with initial_resource_versions: unchanged skipped, changed sent, missing removed", async () => {
    t.xds.update(snapshotOf([w1, w2], [p1]));
    const c = open();
    c.subscribe(A, {
      initialResourceVersions: {
        [w1.name]: w1.version,
        [w2.name]: "old",
        "Kubernetes//Pod/default/gone": "x",
      },
    });
    const r = await c.next();
    assert.deepEqual(names(r), [w2.name]);
    assert.deepEqual(r.removedResources, ["Kubernetes//Pod/default/gone"]);
    c.close();
  });

  it("answers an initial request even when there is nothing to send", async () => {
    t.xds.update(snapshotOf([w1], []));
    const c = open();
    c.subscribe(AUTH, { initialResourceVersions: {} });
    const r = await c.next();
    assert.equal(r.typeUrl, AUTH);
    assert.equal(r.resources.length, 0);
    c.close();
  });

  it("rejects an unauthenticated caller with UNAUTHENTICATED", async () => {
    const c = open({ token: undefined });
    c.subscribe(A);
    const st = await c.status;
    assert.equal(st.code, grpc.status.UNAUTHENTICATED);
    const bad = open({ token: "Bearer wrong" });
    bad.subscribe(A);
    assert.equal((await bad.status).code, grpc.status.UNAUTHENTICATED);
  });

  it("closes a stream whose first request has no node with INVALID_ARGUMENT", async () => {
    const c = open();
    c.send({ typeUrl: A });
    assert.equal((await c.status).code, grpc.status.INVALID_ARGUMENT);
  });
});

describe("XdsServer with slow clients", () => {
  it("a client that never reads does not delay others and holds one response per type", async () => {
    // Stuck grants are only reclaimed after 60 s here: if slow clients could block the fast one,
    // its waits below would time out.
    const t = await startTestServer({ maxBytesInFlight: 64 * 1024, stuckWriteMs: 60_000 });
    // ~3 MB per full push: larger than HTTP/2 windows, so unread pushes stay stuck in flight.
    const big = Array.from({ length: 3000 }, (_, i) =>
      workloadResource(`Kubernetes//Pod/big/p${i}`, `10.1.${i >> 8}.${i & 255}`, "x".repeat(1000)),
    );
    t.xds.update(snapshotOf(big, [p1]));
    const slow = [0, 1, 2].map(
      (i) => new RawAdsClient(t, { token: `Bearer node-token:slow-${i}`, read: false }),
    );
    for (const s of slow) {
      s.subscribe(A);
      s.subscribe(AUTH);
    }
    await new Promise((r) => setTimeout(r, 100));
    const fast = new RawAdsClient(t, { token: "Bearer node-token:fast" });
    try {
      fast.subscribe(A);
      fast.subscribe(AUTH);
      const first = await fast.next(5000);
      assert.equal(first.resources.length, big.length);
      fast.ack(first);
      fast.ack(await fast.next(5000));
      // 20 more snapshots: the fast client sees each change quickly; slow ones accumulate nothing.
      for (let i = 0; i < 20; i++) {
        const changed = workloadResource(big[0]?.name ?? "", "10.1.0.0", `rev-${i}`);
        t.xds.update(snapshotOf([changed, ...big.slice(1)], [p1]));
        const started = Date.now();
        const r = await fast.next(5000);
        assert.ok(
          Date.now() - started < 2000,
          "one change reached the fast client without waiting on slow ones",
        );
        assert.deepEqual(
          r.resources.map((x) => x.version),
          [changed.version],
        );
        fast.ack(r);
      }
      const status = t.xds.status();
      for (const s of status.streams.filter((x) => x.authenticatedNode.startsWith("slow-"))) {
        for (const ty of s.types) {
          assert.ok(ty.inFlightNonce !== undefined, "slow stream has its one response in flight");
          assert.equal(ty.acks, 0);
          assert.notEqual(ty.syncedVersion, status.snapshotVersion, "nothing queued beyond the first push");
        }
      }
      assert.ok(status.pushesQueued === 0);
    } finally {
      fast.close();
      for (const s of slow) s.close();
      await t.stop();
    }
  });
});

function streamOf(t: TestServer, node: string) {
  return t.xds.status().streams.find((s) => s.authenticatedNode === node);
}

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
