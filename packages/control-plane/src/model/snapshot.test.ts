import assert from "node:assert/strict";
import { test } from "node:test";
import { makeIdentity } from "@ambit/api";
import { createMemorySource } from "../sources/memory-source.js";
import { parseConfigDocuments } from "../sources/parse-documents.js";
import { buildSnapshot } from "./snapshot.js";
import { createSnapshotBuilder } from "./snapshot-builder.js";
import { checkSnapshot } from "./snapshot-check.js";

function objects(text: string) {
  return parseConfigDocuments(text, "t.yaml", "test").map((d) => {
    assert.deepEqual(d.issues, [], "test input must be valid");
    return d.object as NonNullable<typeof d.object>;
  });
}

const pod = (
  name: string,
  o: { ns?: string; ip?: string; node?: string; sa?: string; phase?: string; labels?: string },
) =>
  `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${o.ns ?? "demo"}, labels: {${o.labels ?? ""}}}
spec: {nodeName: ${o.node ?? "node-a"}${o.sa ? `, serviceAccountName: ${o.sa}` : ""}}
status: {phase: ${o.phase ?? "Running"}${o.ip ? `, podIP: "${o.ip}"` : ""}}
---
`;

const config = objects(
  pod("a", { ip: "10.0.0.1", sa: "web", labels: "app: web" }) +
    pod("b", { ip: "10.0.0.2", node: "node-b", labels: "app: web, tier: x" }) +
    pod("done", { ip: "10.0.0.1", phase: "Succeeded", sa: "batch" }) +
    pod("pending", { node: "node-b", sa: "starting", phase: "Pending" }) +
    pod("other-ns", { ns: "other", ip: "10.0.0.9", labels: "app: web" }) +
    `apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec: {selector: {app: web}, clusterIP: 10.96.0.1, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: tier, namespace: demo}
spec: {selector: {tier: x, app: web}, clusterIPs: ["10.96.0.2", "FD00::2"], ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: demo}
spec: {clusterIP: 10.96.0.3, ports: [{port: 80}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: z, namespace: demo}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: demo}
`,
);

test("indexes: pods by name and IP (finished pods excluded), services by VIP, selection, node", () => {
  const s = buildSnapshot(config);
  assert.equal(s.pods.size, 5);
  assert.equal(s.podsByIp.get("10.0.0.1")?.metadata.name, "a", "the Succeeded pod does not own its old IP");
  assert.equal(s.servicesByVip.get("fd00::2")?.metadata.name, "tier", "VIPs are canonicalised");
  const b = s.pods.get("demo/b");
  assert.ok(b);
  assert.deepEqual(
    s.servicesForPod(b).map((x) => x.metadata.name),
    ["tier", "web"],
  );
  const otherNs = s.pods.get("other/other-ns");
  assert.ok(otherNs);
  assert.deepEqual(s.servicesForPod(otherNs), [], "services select only in their namespace");
  assert.deepEqual(
    s.workloadsOnNode("node-b").map((p) => p.metadata.name),
    ["b", "pending"],
  );
  assert.deepEqual(s.workloadsOnNode("nope"), []);
  assert.deepEqual(
    s.authorizationPoliciesIn("demo").map((p) => p.metadata.name),
    ["a", "z"],
  );
  assert.deepEqual(checkSnapshot(s), []);
});

test("isIdentityOnNode: live pods on that node only, same trust domain", () => {
  const s = buildSnapshot(config);
  assert.equal(s.isIdentityOnNode("node-a", makeIdentity("demo", "web")), true);
  assert.equal(s.isIdentityOnNode("node-b", makeIdentity("demo", "web")), false, "web runs on node-a");
  assert.equal(s.isIdentityOnNode("node-b", makeIdentity("demo", "default")), true, "default SA");
  assert.equal(s.isIdentityOnNode("node-b", makeIdentity("demo", "starting")), true, "Pending pods count");
  assert.equal(s.isIdentityOnNode("node-a", makeIdentity("demo", "batch")), false, "Succeeded pods do not");
  assert.equal(s.isIdentityOnNode("node-a", makeIdentity("demo", "web", "other.td")), false, "trust domain");
  const custom = buildSnapshot(config, { mesh: { trustDomain: "other.td" } });
  assert.equal(custom.isIdentityOnNode("node-a", makeIdentity("demo", "web", "other.td")), true);
});

test("snapshot is frozen and duplicate IPs/VIPs are reported deterministically", () => {
  const dup = objects(
    `${pod("x", { ip: "10.1.1.1" })}${pod("y", { ip: "10.1.1.1", phase: "Pending" })}apiVersion: v1
kind: Service
metadata: {name: s1, namespace: demo}
spec: {clusterIP: 10.96.9.9}
---
apiVersion: v1
kind: Service
metadata: {name: s2, namespace: demo}
spec: {clusterIP: 10.96.9.9}
`,
  );
  for (const input of [dup, [...dup].reverse()]) {
    const s = buildSnapshot(input);
    assert.ok(Object.isFrozen(s));
    assert.equal(s.podsByIp.get("10.1.1.1")?.metadata.name, "x", "Running pod keeps the IP");
    assert.equal(s.servicesByVip.get("10.96.9.9")?.metadata.name, "s1");
    assert.deepEqual(
      s.issues.map((i) => `${i.code}:${i.name}`),
      ["duplicate_ip:y", "duplicate_vip:s2"],
    );
  }
});

test("builder: debounces source changes into one rebuild and publishes monotonic versions", async () => {
  const src = createMemorySource();
  const builder = createSnapshotBuilder(src, { debounceMs: 20 });
  const first = await builder.start();
  assert.equal(first.version, 1);
  const published: number[] = [];
  builder.subscribe((s) => published.push(s.version));
  for (let i = 0; i < 5; i++) src.replaceWithYaml(pod(`p${i}`, { ip: `10.2.0.${i + 1}` }));
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(published, [2]);
  assert.equal(builder.current().pods.size, 1);
  assert.ok(builder.current().pods.has("demo/p4"));
  await builder.stop();
});

test("consistency check catches an index pointing at an unknown or finished pod", () => {
  const s = buildSnapshot(config);
  const done = s.pods.get("demo/done");
  assert.ok(done);
  const broken = { ...s, podsByIp: new Map([["10.0.0.1", done]]) };
  const problems = checkSnapshot(broken);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.code, "inconsistent_snapshot");
  assert.match(problems[0]?.message ?? "", /finished pod demo\/done/);
});
