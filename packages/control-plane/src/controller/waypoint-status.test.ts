import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSnapshot } from "../model/snapshot.js";
import type { GatewayObject } from "../sources/config-object.js";
import { parseConfigDocuments } from "../sources/parse-documents.js";
import { waypointStatus } from "./waypoint-status.js";

const snap = (text: string) =>
  buildSnapshot(
    parseConfigDocuments(text, "t.yaml", "t").map((d) => d.object as NonNullable<typeof d.object>),
  );
const gw = (listeners: string, cls = "istio-waypoint") => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: ns}
spec: {gatewayClassName: ${cls}, listeners: ${listeners}}
---
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

test("accepted waypoint: Programmed follows the runtime; services and dropped rules are listed", () => {
  const s = snap(gw("[{name: mesh, port: 15008, protocol: HBONE}]"));
  const st = waypointStatus(s, first(s));
  assert.deepEqual(
    st?.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ["Accepted", "True", "Accepted"],
      ["Programmed", "Unknown", "Pending"],
    ],
  );
  assert.deepEqual(st?.services, ["ns/web"]);
  assert.equal(st?.droppedRules[0]?.route, "ns/r/0");
  const running = waypointStatus(s, first(s), { running: true, acked: true });
  assert.equal(running?.conditions[1]?.status, "True");
  const down = waypointStatus(s, first(s), { running: false, acked: false });
  assert.deepEqual([down?.conditions[1]?.status, down?.conditions[1]?.reason], ["False", "NoResources"]);
});

test("wrong listener → Accepted False; other gateway classes have no waypoint status", () => {
  const s = snap(gw("[{name: http, port: 80, protocol: HTTP}]"));
  const st = waypointStatus(s, first(s), { running: true, acked: true });
  assert.deepEqual(
    st?.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ["Accepted", "False", "UnsupportedListeners"],
      ["Programmed", "False", "Invalid"],
    ],
  );
  const other = snap(gw("[{name: mesh, port: 15008, protocol: HBONE}]", "istio"));
  assert.equal(waypointStatus(other, first(other)), undefined);
});
