import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { clusterLayout, podHostVeth, podNetnsName } from "../plan/cluster-layout.js";
import { desiredPods, type PodRecord, planPods } from "../plan/pod-plan.js";
import { planServices } from "../plan/service-plan.js";
import { expandWaypoints } from "../plan/waypoint-plan.js";
import { waypointInstance } from "./component-processes.js";
import { podLogName, podProcessName, podProcessSpecs } from "./pod-processes.js";
import { namespaceLabels, podWantsMesh, renderConfigDir, renderNodePods } from "./publish.js";
import { statePaths } from "./state-dir.js";
import { shopWaypointFlags } from "./testdata/shop-waypoint-flags.js";

const layout = clusterLayout("t1", 2);
const paths = statePaths("/var/lib/ambit-test");
const objects = parseManifestText(
  `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop, labels: {istio.io/waypoint-for: service}}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, command: [x]}]}
`,
  "/m/x.yaml",
);
const wp = expandWaypoints(objects);
const services = planServices(wp.objects, [], layout);
let n = 0;
const pods: PodRecord[] = planPods(
  [...desiredPods(objects), ...wp.pods],
  [],
  layout,
  () => `uid-${++n}`,
).create.map((c) => ({
  ...c,
  netns: podNetnsName(layout, c.namespace, c.name),
  hostVeth: podHostVeth(c.uid),
}));
const wpod = pods.find((p) => p.waypoint === "waypoint");

describe("waypoint in the runtime", () => {
  it("the waypoint pod is placed on the node with fewer pods, next to the workload pod's node", () => {
    assert.ok(wpod);
    assert.equal(pods.find((p) => p.name === "web")?.node, "node-1");
    assert.equal(wpod.node, "node-2");
    assert.equal(wpod.ip, "10.244.2.2");
  });

  it("publishes the Gateway unchanged, the Service <gw> with its VIP and the Pod (serviceAccount, node, IP, labels)", () => {
    const files = renderConfigDir(wp.objects, pods, services, layout);
    const gw = parse(files.get("gateway--shop--waypoint.yaml") ?? "");
    assert.equal(gw.spec.gatewayClassName, "istio-waypoint");
    const svc = parse(files.get("service--shop--waypoint.yaml") ?? "");
    assert.equal(svc.spec.clusterIP, "10.96.0.11");
    assert.deepEqual(svc.spec.selector, { "gateway.networking.k8s.io/gateway-name": "waypoint" });
    assert.deepEqual(
      svc.spec.ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`),
      ["mesh:15008", "status-port:15021"],
    );
    const pod = parse(files.get("pod--shop--waypoint-waypoint.yaml") ?? "");
    assert.equal(pod.spec.serviceAccountName, "waypoint");
    assert.equal(pod.spec.nodeName, "node-2");
    assert.equal(pod.status.podIP, "10.244.2.2");
    assert.equal(pod.status.phase, "Running");
    assert.equal(pod.metadata.labels["gateway.networking.k8s.io/gateway-name"], "waypoint");
    assert.equal(pod.metadata.labels["istio.io/dataplane-mode"], "none");
    const pending = renderConfigDir(wp.objects, pods, services, layout, new Set(["shop/waypoint-waypoint"]));
    assert.equal(parse(pending.get("pod--shop--waypoint-waypoint.yaml") ?? "").status.phase, "Pending");
  });

  it("the waypoint pod is never captured, even in an ambient namespace; the node agent sees it as not enrolled", () => {
    assert.ok(wpod);
    const ns = namespaceLabels(wp.objects, pods);
    assert.equal(podWantsMesh(wpod, ns), false);
    assert.equal(podWantsMesh(pods.find((p) => p.name === "web") as PodRecord, ns), true);
    const list = renderNodePods("node-2", 1, pods, ns).pods;
    assert.deepEqual(
      list.map((p) => p.name),
      ["waypoint-waypoint"],
    );
  });

  it("runs the waypoint main in the pod netns with exactly the contract's flags", () => {
    assert.ok(wpod);
    const main = { available: true as const, app: "waypoint" as const, path: "/x/waypoint/main.js" };
    const w = waypointInstance(layout, paths, wpod, main, { NODE_OPTIONS: "--x" });
    assert.equal(w.name, "waypoint-shop-waypoint");
    assert.equal(w.netns, "ambit-t1-p-shop-waypoint-waypoint");
    assert.ok(w.spec);
    assert.deepEqual(w.spec.argv, [
      process.execPath,
      "/x/waypoint/main.js",
      ...shopWaypointFlags("/var/lib/ambit-test", "10.244.2.2"),
    ]);
    assert.equal(w.spec.netns, w.netns);
    assert.equal(w.spec.restart, "always");
    assert.equal(w.spec.logFile, "/var/lib/ambit-test/logs/waypoint-shop-waypoint.log");
    assert.equal(w.spec.env["NODE_OPTIONS"], "--x");
    assert.equal(w.spec.env["AMBIT_COMPONENT"], "waypoint");
    const none = waypointInstance(
      layout,
      paths,
      wpod,
      { available: false, app: "waypoint", reason: "r" },
      {},
    );
    assert.equal(none.spec, undefined);
  });

  it("a waypoint pod has no container processes of its own; its process and log are the waypoint's", () => {
    assert.ok(wpod);
    assert.deepEqual(podProcessSpecs(wpod, paths), []);
    assert.equal(podProcessName(wpod, "waypoint"), "waypoint-shop-waypoint");
    assert.equal(podLogName(wpod, "waypoint"), "waypoint-shop-waypoint");
    const web = pods.find((p) => p.name === "web") as PodRecord;
    assert.equal(podProcessName(web, "c"), "pod:shop/web/c");
    assert.equal(podLogName(web, "c"), "pod-shop-web-c");
  });
});
