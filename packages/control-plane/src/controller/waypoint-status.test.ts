import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSnapshot } from "../model/snapshot.js";
import type { GatewayObject } from "../sources/config-object.js";
import { parseConfigDocuments } from "../sources/parse-documents.js";
import { waypointPodYaml } from "./testdata/waypoint-pod-yaml.js";
import { waypointStatus, waypointStatuses } from "./waypoint-status.js";

const snap = (text: string) =>
  buildSnapshot(
    parseConfigDocuments(text, "t.yaml", "t").map((d) => {
      assert.deepEqual(d.issues, [], "test input must be valid");
      return d.object as NonNullable<typeof d.object>;
    }),
  );

const HBONE = "[{name: mesh, port: 15008, protocol: HBONE}]";
const gateway = (
  listeners = HBONE,
  cls = "istio-waypoint",
  labels = "{}",
) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: ns, labels: ${labels}}
spec: {gatewayClassName: ${cls}, listeners: ${listeners}}
`;
const service = (clusterIP: string) => `---
apiVersion: v1
kind: Service
metadata: {name: waypoint, namespace: ns}
spec: {selector: {gateway.networking.k8s.io/gateway-name: waypoint}, clusterIP: ${clusterIP}, ports: [{name: mesh, port: 15008}]}
`;
const pod = waypointPodYaml;
const BOUND = `---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns, labels: {istio.io/use-waypoint: waypoint}}
spec: {selector: {app: web}, clusterIP: 10.96.0.1, ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{kind: Service, name: web}]
  rules: [{timeouts: {request: soon}}]
`;
const first = (s: ReturnType<typeof snap>) => [...s.gateways.values()][0] as GatewayObject;

test("status decision table: Accepted by the HBONE listener, Programmed by Service VIP and a running pod", () => {
  const rows: [string, string, [string, string, string, string]][] = [
    [
      "no HBONE listener",
      gateway("[{name: http, port: 80, protocol: HTTP}]") + service("10.96.9.1") + pod("Running"),
      ["False", "UnsupportedListeners", "False", "Invalid"],
    ],
    ["no Service", gateway() + pod("Running"), ["True", "Accepted", "False", "Pending"]],
    [
      "headless Service",
      gateway() + service("None") + pod("Running"),
      ["True", "Accepted", "False", "AddressNotAssigned"],
    ],
    ["no pod", gateway() + service("10.96.9.1"), ["True", "Accepted", "False", "Pending"]],
    [
      "pod Pending",
      gateway() + service("10.96.9.1") + pod("Pending"),
      ["True", "Accepted", "False", "Pending"],
    ],
    [
      "pod of another gateway",
      gateway() + service("10.96.9.1") + pod("Running", "other", "other"),
      ["True", "Accepted", "False", "Pending"],
    ],
    [
      "pod in another namespace",
      gateway() + service("10.96.9.1") + pod("Running", "w", "waypoint", "elsewhere"),
      ["True", "Accepted", "False", "Pending"],
    ],
    [
      "Service with VIP + Running pod",
      gateway() + service("10.96.9.1") + pod("Running"),
      ["True", "Accepted", "True", "Programmed"],
    ],
    [
      "one of two pods running",
      gateway() + service("10.96.9.1") + pod("Pending") + pod("Running", "wp-2"),
      ["True", "Accepted", "True", "Programmed"],
    ],
  ];
  for (const [what, yaml, want] of rows) {
    const s = snap(yaml);
    const st = waypointStatus(s, first(s));
    const [a, p] = st?.conditions ?? [];
    assert.deepEqual([a?.status, a?.reason, p?.status, p?.reason], want, what);
    assert.deepEqual([a?.type, p?.type], ["Accepted", "Programmed"], what);
  }
});

const BOUND_POD = `---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: ns, labels: {app: db, istio.io/use-waypoint: waypoint}}
spec: {nodeName: node-a}
status: {phase: Running, podIP: 10.1.0.7}
`;

test("status content: for, address, bound services and workloads, dropped rules; other classes have no status", () => {
  const s = snap(
    gateway(HBONE, "istio-waypoint", "{istio.io/waypoint-for: all}") +
      service("10.96.9.1") +
      pod("Running") +
      BOUND +
      BOUND_POD,
  );
  const st = waypointStatus(s, first(s));
  assert.equal(st?.for, "all");
  assert.equal(st?.address, "10.96.9.1");
  assert.deepEqual(st?.services, ["ns/web"]);
  assert.deepEqual(st?.workloads, ["ns/db-1"]);
  // A service-only waypoint takes no workload traffic, whatever the pod's label says.
  const svcOnly = snap(gateway() + service("10.96.9.1") + pod("Running") + BOUND + BOUND_POD);
  assert.deepEqual(waypointStatus(svcOnly, first(svcOnly))?.workloads, []);
  assert.equal(st?.droppedRules[0]?.route, "ns/r/0");
  assert.match(st?.conditions[1]?.message ?? "", /10\.96\.9\.1, 1 running pod/);
  const noSvc = snap(gateway() + BOUND);
  assert.equal(waypointStatus(noSvc, first(noSvc))?.address, null);
  const other = snap(gateway(HBONE, "istio"));
  assert.equal(waypointStatus(other, first(other)), undefined);
  assert.deepEqual(waypointStatuses(other), []);
});

test("waypointStatuses: sorted by ns/name, filtered by namespace", () => {
  const two = `${gateway()}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: a, namespace: zz}
spec: {gatewayClassName: istio-waypoint, listeners: ${HBONE}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: b, namespace: aa}
spec: {gatewayClassName: istio-waypoint, listeners: ${HBONE}}
`;
  const s = snap(two);
  assert.deepEqual(
    waypointStatuses(s).map((w) => `${w.namespace}/${w.name}`),
    ["aa/b", "ns/waypoint", "zz/a"],
  );
  assert.deepEqual(
    waypointStatuses(s, "zz").map((w) => w.name),
    ["a"],
  );
});
