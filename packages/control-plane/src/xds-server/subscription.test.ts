import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TypeUrl } from "@ambit/core";
import { PushThrottle } from "./push-throttle.js";
import { SnapshotStore } from "./snapshot-store.js";
import { commitPlan, heldCount, openSubscription, planPush, updateSubscription } from "./subscription.js";
import { snapshotOf, workloadResource } from "./testdata/xds-harness.test.js";

const A = TypeUrl.address;
const w = (n: string, ip: string, rev = "") => workloadResource(`K//Pod/ns/${n}`, ip, rev);
const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name).sort();
const req = (subscribe: string[] = [], unsubscribe: string[] = [], irv: Record<string, string> = {}) => ({
  subscribe,
  unsubscribe,
  initialResourceVersions: irv,
});

describe("planPush", () => {
  it("fresh wildcard: full push; then only changed names via the change history", () => {
    const store = new SnapshotStore();
    store.publish(snapshotOf([w("a", "10.0.0.1"), w("b", "10.0.0.2")]));
    const sub = openSubscription(A, req());
    const p1 = planPush(sub, store.snapshot, store.changedSince(A, sub.syncedVersion));
    assert.equal(p1.full, true);
    assert.equal(p1.resources.length, 0, "full pushes are served from the snapshot's cached response");
    commitPlan(sub, p1, store.snapshot);
    assert.equal(heldCount(sub), 2);
    store.publish(snapshotOf([w("a", "10.0.0.1", "x"), w("c", "10.0.0.3")]));
    const changed = store.changedSince(A, sub.syncedVersion);
    assert.deepEqual([...(changed ?? [])].sort(), ["K//Pod/ns/a", "K//Pod/ns/b", "K//Pod/ns/c"]);
    const p2 = planPush(sub, store.snapshot, changed);
    assert.deepEqual(names(p2.resources), ["K//Pod/ns/a", "K//Pod/ns/c"]);
    assert.deepEqual(p2.removed, ["K//Pod/ns/b"]);
  });

  it("history too short falls back to a full diff with the same result", () => {
    const store = new SnapshotStore(1);
    store.publish(snapshotOf([w("a", "10.0.0.1")]));
    const sub = openSubscription(A, req());
    commitPlan(sub, planPush(sub, store.snapshot, undefined), store.snapshot);
    store.publish(snapshotOf([w("a", "10.0.0.1", "2")]));
    store.publish(snapshotOf([w("a", "10.0.0.1", "3"), w("b", "10.0.0.2")]));
    assert.equal(store.changedSince(A, sub.syncedVersion), undefined);
    const p = planPush(sub, store.snapshot, undefined);
    assert.deepEqual(names(p.resources), ["K//Pod/ns/a", "K//Pod/ns/b"]);
    assert.equal(p.full, false);
  });

  it("named subscription by alias, then unsubscribe forgets without removal", () => {
    const store = new SnapshotStore();
    store.publish(snapshotOf([w("a", "10.0.0.1"), w("b", "10.0.0.2")]));
    const sub = openSubscription(A, req(["/10.0.0.2"]));
    assert.equal(sub.wildcard, false);
    const p = planPush(sub, store.snapshot, undefined);
    assert.deepEqual(names(p.resources), ["K//Pod/ns/b"]);
    commitPlan(sub, p, store.snapshot);
    assert.equal(updateSubscription(sub, req([], ["/10.0.0.2"]), store.snapshot), true);
    const p2 = planPush(sub, store.snapshot, undefined);
    assert.deepEqual([p2.resources.length, p2.removed.length], [0, 0]);
    assert.equal(updateSubscription(sub, req([], ["/10.0.0.2"]), store.snapshot), false, "no-op change");
  });

  it("'*' subscribe/unsubscribe toggles wildcard; IRV seeds what the client holds", () => {
    const sub = openSubscription(A, req(["*"], ["*"]));
    assert.equal(sub.wildcard, false, "on-demand: subscribe to nothing");
    const store = new SnapshotStore();
    const a = w("a", "10.0.0.1");
    store.publish(snapshotOf([a]));
    const re = openSubscription(A, req([], [], { [a.name]: a.version, gone: "1" }));
    const p = planPush(re, store.snapshot, undefined);
    assert.deepEqual([p.resources.length, p.removed], [0, ["gone"]]);
  });

  it("publishing identical content is not a new snapshot", () => {
    const store = new SnapshotStore();
    const a = w("a", "10.0.0.1");
    store.publish(snapshotOf([a]));
    const v = store.snapshot.version;
    assert.equal(store.publish(snapshotOf([{ ...a }])).size, 0);
    assert.equal(store.snapshot.version, v);
  });
});

describe("PushThrottle", () => {
  it("queues beyond the limit, wakes waiters FIFO on release, and frees stuck slots", async () => {
    const th = new PushThrottle(1, 30);
    const woken: string[] = [];
    const r1 = th.tryAcquire(() => woken.push("x"));
    assert.ok(r1);
    const wa = () => woken.push("a");
    const wb = () => woken.push("b");
    assert.equal(th.tryAcquire(wa), undefined);
    assert.equal(th.tryAcquire(wb), undefined);
    assert.equal(th.tryAcquire(wa), undefined, "re-registration is one waiter");
    assert.equal(th.queued, 2);
    r1();
    r1(); // idempotent
    // "a" was woken but took no slot, so "b" was woken too.
    assert.deepEqual(woken, ["a", "b"]);
    const stuck = th.tryAcquire(() => {});
    assert.ok(stuck);
    assert.equal(th.active, 1);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(th.active, 0, "a slot not released in time is reclaimed");
  });
});
