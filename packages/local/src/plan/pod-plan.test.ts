import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LocalError } from "../local-error.js";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { clusterLayout, podHostVeth, podNetnsName, validateClusterId } from "./cluster-layout.js";
import { allocateIp, cidrContains, parseCidr } from "./ipv4.js";
import { desiredPods, type PodRecord, planPods } from "./pod-plan.js";

const layout = clusterLayout("t1", 2);

function deployment(name: string, replicas: number, image = "a"): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, command: [run, ${image}]}]}
`;
}

function uids(): () => string {
  let n = 0;
  return () => `uid-${++n}`;
}

function materialize(plan: ReturnType<typeof planPods>): PodRecord[] {
  return [
    ...plan.keep,
    ...plan.create.map((c) => ({
      ...c,
      netns: podNetnsName(layout, c.namespace, c.name),
      hostVeth: podHostVeth(c.uid),
    })),
  ];
}

describe("cluster layout", () => {
  it("derives names and addresses from id and index; interface names fit IFNAMSIZ", () => {
    const l = clusterLayout("ab12", 3);
    assert.equal(l.prefix, "ambit-ab12-");
    assert.deepEqual(
      l.nodes.map((n) => [n.name, n.netns, n.ip, n.podCidr, n.gateway]),
      [
        ["node-1", "ambit-ab12-node-1", "10.250.0.11", "10.244.1.0/24", "10.244.1.1"],
        ["node-2", "ambit-ab12-node-2", "10.250.0.12", "10.244.2.0/24", "10.244.2.1"],
        ["node-3", "ambit-ab12-node-3", "10.250.0.13", "10.244.3.0/24", "10.244.3.1"],
      ],
    );
    for (const ifname of [
      l.bridge,
      l.cpClusterLink,
      ...l.nodes.map((n) => n.clusterLink),
      podHostVeth("x"),
    ]) {
      assert.ok(ifname.length <= 15, ifname);
    }
    assert.equal(podNetnsName(l, "ns", "pod"), "ambit-ab12-p-ns-pod");
  });

  it("rejects bad ids and node counts", () => {
    assert.throws(() => validateClusterId("Bad-Id"), LocalError);
    assert.throws(() => validateClusterId(""), LocalError);
    assert.throws(() => clusterLayout("ok", 0), /--nodes must be/);
    assert.throws(() => clusterLayout("ok", 21), /--nodes must be/);
  });
});

describe("ipv4 allocation", () => {
  it("allocates the lowest free address from an offset and never the broadcast", () => {
    const c = parseCidr("10.244.1.0/30");
    assert.equal(allocateIp(c, new Set(), 2), "10.244.1.2");
    assert.throws(
      () => allocateIp(c, new Set(["10.244.1.2"]), 2),
      (e: unknown) => e instanceof LocalError && e.code === "pool_exhausted",
    );
    assert.ok(cidrContains(parseCidr("10.96.0.0/16"), "10.96.200.1"));
    assert.ok(!cidrContains(parseCidr("10.96.0.0/16"), "10.97.0.1"));
    assert.ok(!cidrContains(parseCidr("10.96.0.0/16"), "nonsense"));
    assert.throws(() => parseCidr("10.0.0.0/99"), LocalError);
  });
});

describe("desiredPods", () => {
  it("expands replicas with stable, template-hashed names", () => {
    const a = desiredPods(parseManifestText(deployment("web", 2), "/m/a.yaml"));
    const b = desiredPods(parseManifestText(deployment("web", 2), "/m/a.yaml"));
    assert.deepEqual(
      a.map((p) => p.key),
      b.map((p) => p.key),
    );
    assert.equal(a.length, 2);
    assert.match(a[0]?.name ?? "", /^web-[0-9a-f]{5}-0$/);
    const changed = desiredPods(parseManifestText(deployment("web", 2, "b"), "/m/a.yaml"));
    assert.notEqual(changed[0]?.name, a[0]?.name, "a new template gives new pod names");
  });
});

describe("planPods", () => {
  it("spreads pods over the least-loaded node with the lowest free IP", () => {
    const plan = planPods(
      desiredPods(parseManifestText(deployment("web", 3), "/m/a.yaml")),
      [],
      layout,
      uids(),
    );
    assert.deepEqual(
      plan.create.map((c) => [c.node, c.ip, c.uid]),
      [
        ["node-1", "10.244.1.2", "uid-1"],
        ["node-2", "10.244.2.2", "uid-2"],
        ["node-1", "10.244.1.3", "uid-3"],
      ],
    );
  });

  it("keeps unchanged pods, adds replicas next to them, and recreates on template change", () => {
    const first = materialize(
      planPods(desiredPods(parseManifestText(deployment("web", 2), "/m/a.yaml")), [], layout, uids()),
    );
    const same = planPods(
      desiredPods(parseManifestText(deployment("web", 2), "/m/a.yaml")),
      first,
      layout,
      uids(),
    );
    assert.equal(same.create.length, 0);
    assert.equal(same.remove.length, 0);
    assert.equal(same.keep.length, 2);
    const scaled = planPods(
      desiredPods(parseManifestText(deployment("web", 3), "/m/a.yaml")),
      first,
      layout,
      uids(),
    );
    assert.equal(scaled.create.length, 1);
    assert.equal(scaled.create[0]?.ip, "10.244.1.3");
    const changed = planPods(
      desiredPods(parseManifestText(deployment("web", 2, "b"), "/m/a.yaml")),
      first,
      layout,
      uids(),
    );
    assert.equal(changed.remove.length, 2);
    assert.equal(changed.create.length, 2);
    assert.ok(
      changed.create.every((c) => !first.some((f) => f.ip === c.ip)),
      "new pods do not reuse addresses of pods still being removed",
    );
    const gone = planPods([], first, layout, uids());
    assert.equal(gone.remove.length, 2);
  });

  it("changes a bare pod's labels in place (enrolment toggles without a restart)", () => {
    const pod = (mode: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {istio.io/dataplane-mode: ${mode}}}\nspec: {containers: [{name: c, command: [x]}]}\n`;
    const first = materialize(
      planPods(desiredPods(parseManifestText(pod("ambient"), "/m/p.yaml")), [], layout, uids()),
    );
    const next = planPods(desiredPods(parseManifestText(pod("none"), "/m/p.yaml")), first, layout, uids());
    assert.equal(next.create.length + next.remove.length, 0);
    assert.equal(next.keep[0]?.uid, first[0]?.uid);
    assert.deepEqual(next.keep[0]?.labels, { "istio.io/dataplane-mode": "none" });
  });

  it("pins spec.nodeName and rejects unknown nodes", () => {
    const pod = (node: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {nodeName: ${node}, containers: [{name: c, command: [x]}]}\n`;
    const plan = planPods(desiredPods(parseManifestText(pod("node-2"), "/m/p.yaml")), [], layout, uids());
    assert.equal(plan.create[0]?.node, "node-2");
    assert.throws(
      () => planPods(desiredPods(parseManifestText(pod("node-9"), "/m/p.yaml")), [], layout, uids()),
      (e: unknown) => e instanceof LocalError && e.code === "unknown_node",
    );
  });
});
