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
  it("bounds bytes in flight, wakes waiters FIFO on release, and frees stuck grants", async () => {
    const th = new PushThrottle(100, 30);
    const woken: string[] = [];
    const r1 = th.tryAcquire(() => woken.push("x"), 60);
    assert.ok(r1);
    const small = th.tryAcquire(() => woken.push("s"), 40);
    assert.ok(small, "a response that fits the remaining budget goes straight out");
    assert.equal(th.activeBytes, 100);
    assert.equal(th.active, 2);
    let aRetried = 0;
    const wa = () => {
      aRetried += 1;
      woken.push("a");
    };
    const wb = () => woken.push("b");
    assert.equal(th.tryAcquire(wa, 50), undefined);
    assert.equal(th.tryAcquire(wb, 10), undefined);
    assert.equal(th.tryAcquire(wa, 50), undefined, "re-registration is one waiter");
    assert.equal(th.queued, 2);
    assert.ok(
      th.tryAcquire(() => {}, 0),
      "zero bytes (shared responses) are always granted",
    );
    assert.equal(th.active, 2, "zero-byte grants are not counted");
    small();
    // 60 in use: "a" (50) does not fit yet and, FIFO, holds back "b".
    assert.deepEqual(woken, []);
    r1();
    r1(); // idempotent
    // "a" was woken but took nothing, so "b" was woken too.
    assert.deepEqual(woken, ["a", "b"]);
    assert.equal(aRetried, 1);
    assert.equal(th.queued, 0);
    const huge = th.tryAcquire(() => {}, 1000);
    assert.ok(huge, "a response larger than the budget is granted when nothing else is in flight");
    assert.equal(
      th.tryAcquire(() => {}, 1),
      undefined,
    );
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(th.activeBytes, 0, "a grant not released in time is reclaimed");
    assert.equal(th.queued, 0, "the waiter was woken by the reclaim");
  });
});
