import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NodePodRecord } from "@ambit/api";
import { type PodEntry, planPod, rulesConfigFor, wantsEnrolment } from "./pod-plan.js";
import { PodsFileError, parsePodsFile } from "./pods-file.js";

const rec = (over: Partial<NodePodRecord> = {}): NodePodRecord => ({
  uid: "u1",
  name: "p",
  namespace: "ns",
  serviceAccount: "sa",
  labels: {},
  annotations: {},
  namespaceLabels: { "istio.io/dataplane-mode": "ambient" },
  netnsPath: "/var/run/netns/p",
  ip: "10.0.0.2",
  phase: "Running",
  ...over,
});
const entry = (over: Partial<PodEntry> = {}): PodEntry => ({
  record: rec(),
  netnsPath: "/var/run/netns/p",
  rules: "unknown",
  zds: "absent",
  retryAt: 0,
  ...over,
});

describe("planPod", () => {
  const rows: [string, PodEntry, boolean, PodEntry["zds"] | string][] = [
    ["new enrolled pod: rules first", entry(), true, "install"],
    ["rules in place, ztunnel connected: add", entry({ rules: "installed" }), true, "zds_add"],
    ["rules in place, no ztunnel: wait for snapshot", entry({ rules: "installed" }), false, "wait"],
    ["acked: done", entry({ rules: "installed", zds: "acked" }), true, "done"],
    ["in flight: done", entry({ rules: "installed", zds: "in_flight" }), true, "done"],
    ["nacked, backing off", entry({ rules: "installed", zds: "nacked", retryAt: 2000 }), true, "wait"],
    ["nacked, retry due", entry({ rules: "installed", zds: "nacked", retryAt: 500 }), true, "zds_add"],
    ["install failed, backing off", entry({ retryAt: 2000 }), true, "wait"],
    [
      "un-enrolled by label: rules removed first",
      entry({
        record: rec({ labels: { "istio.io/dataplane-mode": "none" } }),
        rules: "installed",
        zds: "acked",
      }),
      true,
      "uninstall",
    ],
    [
      "un-enrolled, rules gone: del",
      entry({
        record: rec({ labels: { "istio.io/dataplane-mode": "none" } }),
        rules: "absent",
        zds: "acked",
      }),
      true,
      "zds_del",
    ],
    [
      "un-enrolled, no ztunnel: forget zds state",
      entry({
        record: rec({ labels: { "istio.io/dataplane-mode": "none" } }),
        rules: "absent",
        zds: "acked",
      }),
      false,
      "zds_forget",
    ],
    [
      "deleted pod: uninstall",
      entry({ record: undefined, rules: "installed", zds: "acked" }),
      true,
      "uninstall",
    ],
    ["deleted pod, all gone: forget", entry({ record: undefined, rules: "absent" }), true, "forget"],
    [
      "finished pod counts as deleted",
      entry({ record: rec({ phase: "Succeeded" }), rules: "installed" }),
      true,
      "uninstall",
    ],
    [
      "never-enrolled pod seen after restart: check and clean",
      entry({ record: rec({ namespaceLabels: {} }) }),
      true,
      "uninstall",
    ],
    [
      "never-enrolled pod, clean: done",
      entry({ record: rec({ namespaceLabels: {} }), rules: "absent" }),
      true,
      "done",
    ],
  ];
  for (const [name, e, connected, want] of rows) {
    it(name, () => assert.equal(planPod(e, 1000, connected, false), want));
  }
  it("re-installs when the wanted config changed", () => {
    assert.equal(planPod(entry({ rules: "installed", zds: "acked" }), 1000, true, true), "install");
  });
});

describe("enrolment and per-pod config", () => {
  it("honours pod opt-out and namespace label", () => {
    assert.equal(wantsEnrolment(rec()), true);
    assert.equal(wantsEnrolment(rec({ labels: { "istio.io/dataplane-mode": "none" } })), false);
    assert.equal(
      wantsEnrolment(rec({ namespaceLabels: {}, labels: { "istio.io/dataplane-mode": "ambient" } })),
      true,
    );
    assert.equal(wantsEnrolment(rec({ phase: "Failed" })), false);
    assert.equal(wantsEnrolment(undefined), false);
  });
  it("reads the DNS and ingress annotations", () => {
    const r = rec({
      annotations: {
        "ambient.istio.io/dns-capture": "true",
        "ambient.istio.io/bypass-inbound-capture": "true",
      },
    });
    assert.deepEqual(rulesConfigFor(r, { dnsCapture: false }, false), {
      ipv6: false,
      dnsCapture: true,
      bypassInboundCapture: true,
    });
    assert.deepEqual(rulesConfigFor(rec(), { dnsCapture: true }, true), {
      ipv6: true,
      dnsCapture: true,
      bypassInboundCapture: false,
    });
  });
});

describe("pods.json parsing", () => {
  const ok = { node: "n1", generation: 3, pods: [rec()] };
  it("accepts the contract shape", () => {
    assert.deepEqual(parsePodsFile(JSON.stringify(ok)), ok);
  });
  const bad: [string, string][] = [
    ["not json", "{"],
    ["no pods", JSON.stringify({ node: "n", generation: 1 })],
    ["bad generation", JSON.stringify({ ...ok, generation: "1" })],
    ["bad phase", JSON.stringify({ ...ok, pods: [{ ...rec(), phase: "Gone" }] })],
    ["empty uid", JSON.stringify({ ...ok, pods: [{ ...rec(), uid: "" }] })],
    ["labels not strings", JSON.stringify({ ...ok, pods: [{ ...rec(), labels: { a: 1 } }] })],
    ["missing netnsPath", JSON.stringify({ ...ok, pods: [{ ...rec(), netnsPath: undefined }] })],
  ];
  for (const [name, text] of bad) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => parsePodsFile(text),
        (e) => e instanceof PodsFileError && e.code === "bad_pods_file",
      ));
  }
});
