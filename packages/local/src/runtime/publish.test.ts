import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { useTempDirs } from "@ambit/testing";
import { parse } from "yaml";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { clusterLayout, podHostVeth, podNetnsName } from "../plan/cluster-layout.js";
import { desiredPods, type PodRecord, planPods } from "../plan/pod-plan.js";
import { planServices } from "../plan/service-plan.js";
import { namespaceLabels, renderConfigDir, renderNodePods, syncConfigDir } from "./publish.js";

/** Temp dirs removed when the file's tests end. */
const tempDir = useTempDirs();

const layout = clusterLayout("t1", 2);
const objects = parseManifestText(
  `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: web, containers: [{name: c, command: [x], ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: shop}
spec: {}
---
apiVersion: v1
kind: Pod
metadata: {name: loner, namespace: other, labels: {istio.io/dataplane-mode: none}}
spec: {containers: [{name: c, command: [x]}]}
`,
  "/m/x.yaml",
);
let n = 0;
const pods: PodRecord[] = planPods(desiredPods(objects), [], layout, () => `uid-${++n}`).create.map((c) => ({
  ...c,
  netns: podNetnsName(layout, c.namespace, c.name),
  hostVeth: podHostVeth(c.uid),
}));
const services = planServices(objects, [], layout);

describe("renderConfigDir", () => {
  it("publishes namespaces, services with VIPs, pods with status, and mesh config; not deployments", () => {
    const files = renderConfigDir(objects, pods, services, layout);
    type Doc = {
      kind: string;
      metadata: { name: string; namespace?: string; uid: string };
      spec: Record<string, unknown> & { clusterIP?: string; clusterIPs?: string[]; nodeName?: string };
      status: { podIP: string; phase: string };
    };
    const docs = [...files.values()].map((t) => parse(t) as Doc);
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`).sort();
    assert.deepEqual(
      kinds,
      [
        "AuthorizationPolicy/shop/deny-all",
        "Namespace//other",
        "Namespace//shop",
        `Pod/other/loner`,
        `Pod/shop/${pods[1]?.name}`,
        `Pod/shop/${pods[2]?.name}`,
        "Service/shop/web",
      ].sort(),
    );
    const svc = docs.find((d) => d.kind === "Service");
    assert.equal(svc?.spec.clusterIP, "10.96.0.11");
    assert.deepEqual(svc?.spec.clusterIPs, ["10.96.0.11"]);
    const pod = docs.find((d) => d.kind === "Pod" && d.metadata.namespace === "shop");
    assert.equal(pod?.metadata.uid.startsWith("uid-"), true);
    assert.equal(pod?.spec.serviceAccountName, "web");
    assert.ok(["node-1", "node-2"].includes(pod?.spec.nodeName ?? ""));
    assert.match(pod?.status.podIP ?? "", /^10\.244\.[12]\.\d+$/);
    assert.equal(pod?.status.phase, "Running");
  });
});

describe("syncConfigDir", () => {
  it("writes changed files, removes stale ones, and reports no-ops", () => {
    const dir = tempDir("ambit-cfg-");
    writeFileSync(join(dir, "stale.yaml"), "x: 1\n");
    const files = renderConfigDir(objects, pods, services, layout);
    assert.equal(syncConfigDir(dir, files), true);
    assert.deepEqual(readdirSync(dir).sort(), [...files.keys()].sort());
    assert.equal(syncConfigDir(dir, files), false);
  });
});

describe("renderNodePods", () => {
  it("lists a node's pods with namespace labels and netns paths", () => {
    const ns = namespaceLabels(objects, pods);
    const all = layout.nodes.flatMap((node) => renderNodePods(node.name, 7, pods, ns).pods);
    assert.equal(all.length, pods.length);
    const f = renderNodePods("node-1", 7, pods, ns);
    assert.equal(f.generation, 7);
    for (const p of f.pods) {
      assert.equal(p.netnsPath, `/var/run/netns/${podNetnsName(layout, p.namespace, p.name)}`);
      assert.deepEqual(
        p.namespaceLabels,
        p.namespace === "shop" ? { "istio.io/dataplane-mode": "ambient" } : {},
      );
    }
  });
});
