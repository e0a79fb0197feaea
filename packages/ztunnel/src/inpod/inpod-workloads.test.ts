import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openNetnsFd } from "@ambit/sockets";
import { InpodWorkloads } from "./inpod-workloads.js";
import type { InpodPod, PodProxyFactory } from "./pod-proxy-factory.js";

const info = (name: string) => ({ name, namespace: "ns", serviceAccount: "sa" });
const fd = () => openNetnsFd("/proc/self/ns/net");

function factory(fail = new Set<string>()) {
  const log: string[] = [];
  const f: PodProxyFactory = {
    async start(pod: InpodPod) {
      if (fail.has(pod.uid)) throw new Error("boom");
      log.push(`start ${pod.uid}`);
      return { stop: async () => void log.push(`stop ${pod.uid}`) };
    },
  };
  return { f, log };
}

describe("InpodWorkloads", () => {
  it("starts, keeps on same-netns re-add, and stops what a new snapshot leaves out", async () => {
    const { f, log } = factory();
    const w = new InpodWorkloads(f);
    w.beginSnapshot();
    assert.equal(await w.handle({ t: "add", uid: "a", info: info("a") }, fd()), "");
    assert.equal(await w.handle({ t: "add", uid: "b", info: info("b") }, fd()), "");
    assert.equal(w.ready, false, "not ready before SnapshotSent");
    assert.equal(await w.handle({ t: "snapshot_sent" }, undefined), "");
    assert.equal(w.ready, true);
    // Reconnect: snapshot re-adds a (same netns) and keeps nothing else.
    w.beginSnapshot();
    assert.equal(await w.handle({ t: "add", uid: "a", info: info("a") }, fd()), "");
    assert.equal(await w.handle({ t: "snapshot_sent" }, undefined), "");
    assert.deepEqual(log, ["start a", "start b", "stop b"]);
    assert.deepEqual(
      w.status().map((s) => s.uid),
      ["a"],
    );
    // Keep marks a proxy as wanted without an fd.
    w.beginSnapshot();
    assert.equal(await w.handle({ t: "keep", uid: "a" }, undefined), "");
    await w.handle({ t: "snapshot_sent" }, undefined);
    assert.deepEqual(
      w.status().map((s) => s.uid),
      ["a"],
    );
    assert.equal(await w.handle({ t: "del", uid: "a" }, undefined), "");
    assert.equal(
      await w.handle({ t: "del", uid: "unknown" }, undefined),
      "",
      "del of an unknown pod is acked",
    );
    assert.deepEqual(log.slice(3), ["stop a"]);
  });

  it("NACKs failures with the reason and counts them against readiness", async () => {
    const { f } = factory(new Set(["bad"]));
    const w = new InpodWorkloads(f);
    w.beginSnapshot();
    assert.match(
      await w.handle({ t: "add", uid: "bad", info: info("bad") }, fd()),
      /failed to start proxies for ns\/bad: boom/,
    );
    assert.equal(await w.handle({ t: "add", uid: "x", info: info("x") }, undefined), "add without netns fd");
    await w.handle({ t: "snapshot_sent" }, undefined);
    assert.equal(w.ready, false);
    assert.equal(w.status().length, 0);
    assert.match(await w.handle({ t: "add", uid: "y", info: info("y") }, 999_999), /bad netns fd/);
  });
});
